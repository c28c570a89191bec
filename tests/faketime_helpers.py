"""Processes on a shifted wall clock, with their monotonic clock left true (Debian's faketime).

libfaketime is preloaded into the process (LD_PRELOAD, as the `faketime` wrapper does) and reads
its offset from a file on every call (FAKETIME_TIMESTAMP_FILE with FAKETIME_NO_CACHE=1), so a
test moves the wall clock of a running engine at once by rewriting that file: "+0" is the true
time, "+3h" three hours ahead, "-3h" three hours behind (relative offsets; "@..." would start
the clock at an absolute date instead). FAKETIME_DONT_FAKE_MONOTONIC=1 leaves CLOCK_MONOTONIC
alone: that is the clock the engine must measure with.

libfaketime 0.9.10 (Debian 12) breaks `clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME)` when the
monotonic clock is left alone (wolfcw/libfaketime#426), which Python 3.11's `time.sleep` uses:
under it `time.sleep` raises EINVAL. The engine and the simulator wait on events and selectors,
never `time.sleep`, so they run under it; launchers that poll with `time.sleep` (`run --detach`,
`stop`) are started without it."""

from __future__ import annotations

import glob
import os
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

LIBRARY_PATTERNS = (
    "/usr/lib/*/faketime/libfaketime.so.1",
    "/usr/lib/faketime/libfaketime.so.1",
    "/usr/local/lib/faketime/libfaketime.so.1",
)
INSTALL_HINT = "install Debian's faketime (apt-get install faketime; scripts/test.sh does)"


@cache
def libfaketime() -> Path | None:
    for pattern in LIBRARY_PATTERNS:
        found = sorted(glob.glob(pattern))
        if found:
            return Path(found[0])
    return None


@dataclass(frozen=True)
class ShiftedClock:
    """The offset file of every process started with `env()`; `shift("+3h")` moves their wall
    clocks at once, their monotonic clocks never."""

    path: Path

    def shift(self, offset: str) -> None:
        temp = self.path.with_name(self.path.name + ".new")
        temp.write_text(offset + "\n")
        os.replace(temp, self.path)  # never a half-written offset

    def env(self) -> dict[str, str]:
        library = libfaketime()
        assert library is not None
        return {
            "LD_PRELOAD": str(library),
            "FAKETIME_TIMESTAMP_FILE": str(self.path),
            "FAKETIME_NO_CACHE": "1",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        }


PROBE = "import time; print(time.time(), time.monotonic(), flush=True)"


@cache
def faketime_problem() -> str | None:
    """Why shifted-clock tests cannot run here, or None when they can: libfaketime is found and
    moves a Python process's wall clock by the file's offset, and not its monotonic clock."""
    if libfaketime() is None:
        return f"libfaketime is not installed: {INSTALL_HINT}"
    folder = Path(os.environ.get("TMPDIR", "/tmp"))
    clock = ShiftedClock(folder / f".faketime-probe-{os.getpid()}")
    try:
        clock.shift("+1d")
        env = {**os.environ, **clock.env()}
        import time

        wall, mono = time.time(), time.monotonic()
        done = subprocess.run(
            [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=30
        )
        if done.returncode != 0:
            return f"a process under libfaketime failed: {done.stderr.strip()[-300:]}"
        shifted_wall, shifted_mono = (float(v) for v in done.stdout.split())
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        return f"libfaketime could not be tried: {exc}"
    finally:
        clock.path.unlink(missing_ok=True)
    if abs(shifted_wall - wall - 86400) > 60:
        return f"libfaketime did not shift the wall clock by a day (got {shifted_wall - wall:+.0f} s)"
    if abs(shifted_mono - mono) > 60:
        return "libfaketime moved the monotonic clock too (FAKETIME_DONT_FAKE_MONOTONIC ignored)"
    return None


@pytest.fixture(name="shifted_clock")
def shifted_clock_fixture(tmp_path: Path) -> ShiftedClock:
    """A clock file at "+0"; skips the test, saying why, where libfaketime cannot be used."""
    problem = faketime_problem()
    if problem is not None:
        pytest.skip(problem)
    clock = ShiftedClock(tmp_path / "faketime.rc")
    clock.shift("+0")
    return clock
