"""Peak memory of a piece of work, measured in a fresh interpreter: the high-water mark of its
resident set after the work, less its resident set just before (the interpreter with the
engine, and whatever the script built first, loaded).

The mark is the kernel's VmHWM, reset at the baseline (writing 5 to /proc/self/clear_refs), so
neither a transient peak while importing nor the parent's size (which getrusage's ru_maxrss
inherits across fork and exec) hides what the work itself took."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.engine_helpers import REPO

_MARK = "MEMORY-PROBE "
_PROLOGUE = """
import json as _json, sys as _sys

def _status(field):
    with open("/proc/self/status") as handle:
        line = next(l for l in handle if l.startswith(field + ":"))
    return int(line.split()[1]) * 1024  # kB

def baseline():
    global _BASELINE
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")  # resets VmHWM to the current resident set
    _BASELINE = _status("VmRSS")

def report(**result):
    result.update(baseline=_BASELINE, peak=_status("VmHWM"))
    print("MEMORY-PROBE " + _json.dumps(result), file=_sys.__stdout__, flush=True)
"""


@dataclass
class Probe:
    baseline: int  # bytes
    peak: int
    result: dict[str, Any]
    stderr: str

    @property
    def grown(self) -> int:
        return self.peak - self.baseline


def probe(script: str, env: dict[str, str], timeout: float = 300) -> Probe:
    """Runs `script` (which calls `baseline()` once set up and `report(**result)` at the end)."""
    code = _PROLOGUE + textwrap.dedent(script)
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={**env, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith(_MARK)]
    assert lines, f"the probe reported nothing (exit {done.returncode}): {done.stderr[-3000:]}"
    data = json.loads(lines[-1].removeprefix(_MARK))
    baseline, peak = data.pop("baseline"), data.pop("peak")
    return Probe(baseline=baseline, peak=peak, result=data, stderr=done.stderr)


def cli_script(args: list[str]) -> str:
    """The command line run in-process, after a baseline of the interpreter with every module it
    uses imported."""
    return f"""
    import sys, time
    import engine.cli.main, engine.cli.commands, engine.cli.ledger, engine.ledger.ops, engine.launch.prepare
    baseline()
    sys.argv = ["engine", *{args!r}]
    started = time.monotonic()
    code = 0
    try:
        engine.cli.main.main()
    except SystemExit as exc:
        code = exc.code
    report(code=code, seconds=time.monotonic() - started)
    """


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
