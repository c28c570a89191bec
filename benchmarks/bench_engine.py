"""Engine benchmarks, measured side by side in one run; exits 1 when a target is missed.

1. A 100,000-row findings file, each as a whole process (interpreter start and imports
   included), best of N, alternating so none gets a warmer cache:
   `pandas.read_csv` of the file, `python -m engine ingest FILE` and `... ingest FILE --json`.
   Targets: both ingests at most 3x pandas.
2. A 5,000-finding simulated run at maximum speed, as `python -m engine run` in a process of
   its own: wall time, HTTP requests per session, the process's peak RSS (target: at most
   250 MB) and the bytes written to state.json divided by its final size (target: at most 20).

Usage: python benchmarks/bench_engine.py [--rows 100000] [--findings 5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from engine.sample import write_sample_csv  # noqa: E402

MAX_SPEED = 10000.0  # the CLI's upper bound for --speed
INGEST_TARGET = 3.0
RSS_TARGET_MB = 250.0
WRITE_TARGET = 20.0


def _env(folder: Path, **extra: str) -> dict[str, str]:
    """The engine's environment: nothing from the caller's settings, key, or files."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEVIN_")}
    env.update(
        DEVIN_API_KEY="",
        RUNS_DIR=str(folder / "runs"),
        SETTINGS_FILE=str(folder / "no-settings.toml"),
        POLICY_FILE=str(folder / "no-policy.toml"),
        SERVICES_FILE=str(folder / "no-services.toml"),
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def _timed(command: list[str], env: dict[str, str], stdout: Path | None = None) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one process running `command`."""
    with open(stdout or os.devnull, "wb") as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=err)
        # wait4: this child's own peak RSS (RUSAGE_CHILDREN would be the largest child's so far)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        process.returncode = code  # reaped here; keep Popen from waiting again
        if code != 0:
            err.seek(0)
            error = err.read().decode(errors="replace")
            raise SystemExit(f"{' '.join(command[:6])}... failed ({code}): {error[-500:]}")
    return wall, usage.ru_maxrss / 1024  # KB on Linux


def bench_ingest(folder: Path, rows: int, repeat: int) -> bool:
    path = folder / f"findings-{rows}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        write_sample_csv(handle, rows, seed=7)
    size = path.stat().st_size
    env = _env(folder, MAX_ROWS_PER_RUN=str(rows * 2), MAX_UPLOAD_BYTES=str(size * 2))
    python = sys.executable
    commands = {
        "pandas": [python, "-c", f"import pandas; pandas.read_csv({str(path)!r})"],
        "ingest": [python, "-m", "engine", "ingest", str(path)],
        "ingest --json": [python, "-m", "engine", "ingest", str(path), "--json"],
    }
    best = dict.fromkeys(commands, float("inf"))
    peak = dict.fromkeys(commands, 0.0)
    json_out = folder / "ingest.json"
    for _ in range(repeat):  # alternate them so none gets a warmer cache
        for name, command in commands.items():
            wall, rss = _timed(command, env, json_out if name == "ingest --json" else None)
            best[name], peak[name] = min(best[name], wall), max(peak[name], rss)
    # Only the head: loading the whole document here would grow this process, and a child
    # forked from it starts with this process's pages (its peak RSS would count them).
    with json_out.open("rb") as handle:
        head = handle.read(1 << 16).decode(errors="replace")
    accepted, merged = (
        int(re.search(rf'"{key}":(\d+)', head).group(1)) for key in ("accepted", "duplicates_merged")
    )  # type: ignore[union-attr]
    print(f"\n== Ingest: {rows:,} rows, {size / 1e6:.1f} MB, whole processes, best of {repeat} ==")
    print(f"{'pandas.read_csv':<38}{best['pandas']:8.3f} s  {peak['pandas']:6.0f} MB")
    ok = True
    for name in ("ingest", "ingest --json"):
        ratio = best[name] / best["pandas"]
        passed = ratio <= INGEST_TARGET
        ok &= passed
        print(
            f"{'python -m engine ' + name:<38}{best[name]:8.3f} s  {peak[name]:6.0f} MB   "
            f"{ratio:5.2f} x pandas   target <= {INGEST_TARGET:.2f}  {'PASS' if passed else 'FAIL'}"
        )
    print(
        f"{'  accepted / merged / JSON size':<38}{accepted:,} / {merged:,} / "
        f"{json_out.stat().st_size / 1e6:.1f} MB"
    )
    return ok


def bench_run(folder: Path, findings: int, wave_size: int, parallel: int) -> bool:
    path = folder / f"findings-{findings}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        write_sample_csv(handle, findings, seed=11)
    runs = folder / "runs"
    command = [
        sys.executable,
        "-m",
        "engine",
        "run",
        str(path),
        "--run-id",
        "bench",
        "--no-ledger",
        "--speed",
        f"{MAX_SPEED:g}",
        "--seed",
        "11",
        "--wave-size",
        str(wave_size),
        "--max-parallel",
        str(parallel),
        "--min-success-rate",
        "0",
    ]
    wall, rss = _timed(command, _env(folder))
    state_path = runs / "bench" / "state.json"
    state = json.loads(state_path.read_bytes())
    stats = json.loads((runs / "bench" / "simulator_stats.json").read_bytes())
    final_size = state_path.stat().st_size
    written = state["engine_stats"]["state_bytes_written"] + final_size
    sessions = stats["sessions_created"]
    write_ratio = written / final_size
    totals = state["totals"]
    print(
        f"\n== Simulated run: {totals['findings']:,} findings, speed {MAX_SPEED:g}, "
        f"waves of {wave_size}, {parallel} in flight, `python -m engine run` =="
    )
    print(
        f"{'status':<38}{state['status']}  ({totals['findings_succeeded']:,} fixed, "
        f"{totals['findings_failed']:,} failed, {totals['findings_open']:,} open)"
    )
    print(f"{'wall time (launch and run)':<38}{wall:8.2f} s")
    print(f"{'sessions created':<38}{sessions:8,}")
    print(f"{'HTTP requests (simulator count)':<38}{stats['requests_total']:8,}")
    print(f"{'HTTP requests per session':<38}{stats['requests_total'] / sessions:8.2f}")
    print(f"{'state.json writes':<38}{state['engine_stats']['state_writes']:8,}")
    print(f"{'state.json final size':<38}{final_size / 1e6:8.2f} MB")
    rss_ok, write_ok = rss <= RSS_TARGET_MB, write_ratio <= WRITE_TARGET
    print(
        f"{'peak RSS of the process':<38}{rss:8.0f} MB  target <= {RSS_TARGET_MB:.0f}  "
        f"{'PASS' if rss_ok else 'FAIL'}"
    )
    print(
        f"{'bytes written / final size':<38}{write_ratio:8.2f}     target <= {WRITE_TARGET:.0f}  "
        f"{'PASS' if write_ok else 'FAIL'}"
    )
    return rss_ok and write_ok and state["status"] == "completed"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--findings", type=int, default=5_000)
    parser.add_argument("--wave-size", type=int, default=500)
    parser.add_argument("--parallel", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="patchwave-bench-") as tmp:
        folder = Path(tmp)
        ingest_ok = bench_ingest(folder, args.rows, args.repeat)
        run_ok = bench_run(folder, args.findings, args.wave_size, args.parallel)
    if not (ingest_ok and run_ok):
        print("\nA target was missed.")
        sys.exit(1)


if __name__ == "__main__":
    main()
