"""What the findings ledger costs a run, measured side by side in one run of this script.

The same simulated run (default 5,000 findings, at the simulator's top speed, so that nearly
all of the wall time is the engine's own work) twice in fresh runs folders: without the
ledger, and planned against it (the scan recorded, every session claimed under the ledger's
lock before it is created, every outcome recorded). Prints both wall times, the ratio, and the
ledger's size and write time. At real speed a run polls every 20 s, so the same writes are a
rounding error there; at top speed they are the worst case.

Usage: python benchmarks/bench_ledger.py [--findings 5000]"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.core.models import RunConfig
from engine.execute.start import execute_run
from engine.launch.ledger_plan import ledger_config
from engine.launch.planner import PlanOptions
from engine.launch.prepare import prepare_run
from engine.ledger import ledger_path, read_ledger, update_ledger
from engine.policy import Policy, ServiceCatalog, SimulatedBudget
from engine.sample import write_sample_csv

MAX_SPEED = 10_000
# The budgets must not bind (the run is simulated: its own budget): cost, not policy.
POLICY = Policy(global_session_limit=1_000_000, simulated=SimulatedBudget(global_session_limit=1_000_000))


def _config(ledger: bool) -> RunConfig:
    return RunConfig(
        data_source="simulated",
        speed=MAX_SPEED,
        seed=11,
        wave_size=500,
        max_parallel_sessions=100,
        max_acu_per_session=5,
        poll_interval_seconds=20,
        session_timeout_minutes=90,
        min_success_rate=0.0,
        max_retries=2,
        ledger=ledger_config(POLICY, "simulated") if ledger else None,
    )


def _run(folder: Path, data: bytes, ledger: bool) -> tuple[float, int]:
    runs = folder / ("with-ledger" if ledger else "without")
    options = PlanOptions(wave_size=500, services=ServiceCatalog(), policy=POLICY if ledger else None)
    start = time.perf_counter()
    paths, _ = prepare_run(data, "findings.csv", _config(ledger), options, runs, "bench")
    run = execute_run(paths, None)
    return time.perf_counter() - start, len(run.sessions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="patchwave-bench-ledger-") as tmp:
        folder = Path(tmp)
        source = folder / "findings.csv"
        with source.open("w", newline="", encoding="utf-8") as handle:
            write_sample_csv(handle, args.findings, seed=11)
        data = source.read_bytes()
        without_s, without_sessions = _run(folder, data, ledger=False)
        with_s, with_sessions = _run(folder, data, ledger=True)
        runs = folder / "with-ledger"
        size = ledger_path(runs, "simulated").stat().st_size
        entries = len(read_ledger(runs, "simulated").entries)
        start = time.perf_counter()
        update_ledger(runs, "simulated", lambda ledger: ledger.imports.append(ledger.imports[0]))
        write_s = time.perf_counter() - start
    print(
        f"\n== A {args.findings:,}-finding simulated run at speed {MAX_SPEED:,}, "
        "with and without the ledger =="
    )
    print(f"{'without the ledger':<38}{without_s:8.2f} s   {without_sessions:,} sessions")
    print(f"{'with the ledger':<38}{with_s:8.2f} s   {with_sessions:,} sessions")
    print(f"{'ratio':<38}{with_s / without_s:8.2f} x   (worst case: no time between polls)")
    print(f"{'ledger':<38}{size / 1e6:8.2f} MB  {entries:,} findings")
    print(f"{'one ledger change (lock, read, write)':<38}{write_s:8.3f} s")


if __name__ == "__main__":
    main()
