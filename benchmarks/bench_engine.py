"""Engine benchmarks, measured side by side in one run.

1. Ingest of a 100,000-row findings file vs `pandas.read_csv` of the same file
   (target: ingest at most 3x slower).
2. A 5,000-finding simulated run at maximum speed: wall time, HTTP requests per session,
   and bytes written to state.json divided by its final size (target: at most 20).

Usage: python benchmarks/bench_engine.py [--rows 100000] [--findings 5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.execute.start import execute_run
from engine.ingest import ingest_file
from engine.models import RunConfig
from engine.policy import ServiceCatalog
from engine.runs.launch import prepare_run
from engine.runs.planner import PlanOptions
from engine.sample import write_sample_csv

MAX_SPEED = 10000.0  # the CLI's upper bound for --speed


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_ingest(folder: Path, rows: int, repeat: int) -> None:
    path = folder / f"findings-{rows}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        write_sample_csv(handle, rows, seed=7)
    size_mb = path.stat().st_size / 1e6
    # Alternate the two so neither gets a warmer cache.
    pandas_s = ingest_s = float("inf")
    result = None
    for _ in range(repeat):
        pandas_s = min(pandas_s, best_of(1, lambda: pd.read_csv(path)))
        start = time.perf_counter()
        result = ingest_file(path)
        ingest_s = min(ingest_s, time.perf_counter() - start)
    assert result is not None
    models_s = best_of(1, lambda: result.__dict__.pop("findings", None) or result.findings)
    ratio = ingest_s / pandas_s
    print(f"\n== Ingest: {rows:,} rows, {size_mb:.1f} MB ==")
    print(f"{'pandas.read_csv':<38}{pandas_s:8.3f} s")
    print(f"{'ingest (parse, check, merge, score)':<38}{ingest_s:8.3f} s")
    print(f"{'ratio ingest / pandas':<38}{ratio:8.2f} x   target <= 3.00  {'PASS' if ratio <= 3 else 'FAIL'}")
    print(
        f"{'  accepted / rejected / merged':<38}{result.report.accepted:,} / "
        f"{result.report.rejected_rows:,} / {result.report.duplicates_merged:,}"
    )
    print(f"{'  (then building Finding models)':<38}{models_s:8.3f} s  (done lazily by a run)")


def bench_run(folder: Path, findings: int, wave_size: int, parallel: int) -> None:
    path = folder / f"findings-{findings}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        write_sample_csv(handle, findings, seed=11)
    runs_dir = folder / "runs"
    config = RunConfig(
        data_source="simulated",
        speed=MAX_SPEED,
        seed=11,
        wave_size=wave_size,
        max_parallel_sessions=parallel,
        max_acu_per_session=5,
        poll_interval_seconds=20,
        session_timeout_minutes=90,
        min_success_rate=0.0,
        max_retries=2,
        sim_failure_rate=0.15,
        sim_fault_rate=0.0,
    )
    options = PlanOptions(wave_size=wave_size, services=ServiceCatalog())
    paths, plan = prepare_run(path.read_bytes(), path.name, config, options, runs_dir, "bench")
    result = plan.result
    peak = _PeakRSS()
    start = time.perf_counter()
    run = execute_run(paths, None)
    wall = time.perf_counter() - start
    peak.stop()
    stats = json.loads(paths.simulator_stats.read_text())
    final_size = paths.state.stat().st_size
    written = run.engine_stats.state_bytes_written + final_size
    sessions = stats["sessions_created"]
    write_ratio = written / final_size
    print(
        f"\n== Simulated run: {result.report.accepted:,} findings, speed {MAX_SPEED:g}, "
        f"waves of {wave_size}, {parallel} in flight =="
    )
    print(
        f"{'status':<38}{run.status.value}  ({run.totals.findings_succeeded:,} fixed, "
        f"{run.totals.findings_failed:,} failed, {run.totals.findings_open:,} open)"
    )
    print(f"{'wall time':<38}{wall:8.2f} s")
    print(f"{'sessions created':<38}{sessions:8,}")
    print(f"{'HTTP requests (simulator count)':<38}{stats['requests_total']:8,}")
    print(f"{'HTTP requests per session':<38}{stats['requests_total'] / sessions:8.2f}")
    print(f"{'state.json writes':<38}{run.engine_stats.state_writes:8,}")
    print(f"{'state.json final size':<38}{final_size / 1e6:8.2f} MB")
    print(
        f"{'bytes written / final size':<38}{write_ratio:8.2f}     target <= 20  "
        f"{'PASS' if write_ratio <= 20 else 'FAIL'}"
    )
    print(f"{'peak RSS':<38}{peak.peak / 1e6:8.0f} MB")


class _PeakRSS:
    def __init__(self) -> None:
        import psutil

        self.process = psutil.Process()
        self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


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
        bench_ingest(folder, args.rows, args.repeat)
        bench_run(folder, args.findings, args.wave_size, args.parallel)


if __name__ == "__main__":
    main()
