"""The worker fleet against the local launcher, measured side by side in one run.

1. Launch to first dispatch: from the launch call (the function the Launch page calls) to the
   run's first `session_dispatched` event, through the local launcher (a background process on
   this machine) and through the queue (a job an idle worker of a waiting node takes, whose
   job process starts the engine). The launch call's own time is shown beside it.
2. Memory per concurrent run: N runs at once, and the proportional set size (PSS: shared pages
   split between the processes that share them) of what each run costs: the engine alone with
   the local launcher; the worker, its job process and the engine with the queue (and the
   node's pool process, shared by all its runs, shown apart).

Needs redis-server (Debian's redis-server package). Usage:
    python benchmarks/bench_fleet.py [--repeat 5] [--concurrent 6]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from engine.launch import control  # noqa: E402
from engine.launch.launchers import launcher_for  # noqa: E402
from engine.settings.environment import load_settings  # noqa: E402
from tests.engine_helpers import SAMPLE, engine_env  # noqa: E402
from tests.fleet_helpers import REDIS_SERVER, Node, RedisServer  # noqa: E402

SPEED = 5.0  # slow enough that a run is still working while it is measured


def first_dispatch_seconds(runs: Path, run_id: str, started: float, timeout: float = 120) -> float:
    events = runs / run_id / "events.jsonl"
    deadline = started + timeout
    while time.perf_counter() < deadline:
        try:
            if b'"kind":"session_dispatched"' in events.read_bytes():
                return time.perf_counter() - started
        except FileNotFoundError:
            pass
        time.sleep(0.01)
    raise RuntimeError(f"run {run_id}: no dispatch within {timeout:g} s")


def use_env(runs: Path, **extra: str) -> None:
    """This process is the launcher: its settings come from the environment, as the app's do."""
    os.environ.update(engine_env(runs, MIN_SUCCESS_RATE="0", **extra))
    os.environ.pop("RUN_QUEUE_URL", None)
    os.environ.update(extra)


def launch(run_id: str) -> tuple[float, float]:
    """(seconds the launch call took, seconds to the first dispatch)."""
    settings = load_settings(speed=SPEED, seed=1)
    options = control.LaunchOptions(mode="simulated", use_ledger=False)
    started = time.perf_counter()
    control.launch_detached(SAMPLE.read_bytes(), SAMPLE.name, settings, options, run_id)
    returned = time.perf_counter() - started
    return returned, first_dispatch_seconds(settings.runs_dir, run_id, started)


def stop_all(run_ids: list[str]) -> None:
    launcher = launcher_for(load_settings())
    for run_id in run_ids:
        try:
            launcher.stop(run_id)
        except Exception as exc:  # a slow stop does not spoil the figures
            print(f"  (stop {run_id}: {exc})", file=sys.stderr)


def pss_mb(processes: list[psutil.Process]) -> float:
    total = 0
    for proc in processes:
        try:
            total += proc.memory_full_info().pss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total / 1e6


def engines(root: psutil.Process | None = None) -> list[psutil.Process]:
    found = psutil.process_iter() if root is None else root.children(recursive=True)
    return [p for p in found if _cmd(p)[2:4] == ["engine", "execute"]]


def _cmd(proc: psutil.Process) -> list[str]:
    try:
        return proc.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return []


def median(values: list[float]) -> str:
    return f"{statistics.median(values):6.2f} s (min {min(values):.2f}, max {max(values):.2f})"


def measure(label: str, repeat: int, run_ids: Callable[[int], str]) -> tuple[list[float], list[float]]:
    calls, dispatches = [], []
    for i in range(repeat):
        call, dispatch = launch(run_ids(i))
        calls.append(call)
        dispatches.append(dispatch)
        stop_all([run_ids(i)])
    print(f"  {label}: measured {repeat}", file=sys.stderr)
    return calls, dispatches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--concurrent", type=int, default=6)
    args = parser.parse_args()
    if REDIS_SERVER is None:
        sys.exit("bench_fleet needs redis-server (apt-get install redis-server)")
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
        folder = Path(tmp)
        runs = folder / "runs"
        runs.mkdir()
        redis = RedisServer(folder / "redis")
        redis.start()
        node = Node("bench", runs, redis.url, max(args.concurrent, 1))
        try:
            use_env(runs)
            local = measure("local", args.repeat, lambda i: f"local-{i}")
            node.start().wait_ready(redis.client())
            use_env(runs, RUN_QUEUE_URL=redis.url)
            queued = measure("queue", args.repeat, lambda i: f"queue-{i}")

            # Memory: N runs at once each way.
            use_env(runs)
            ids = [f"local-mem-{i}" for i in range(args.concurrent)]
            for run_id in ids:
                launch(run_id)
            local_pss = pss_mb(engines()) / args.concurrent
            stop_all(ids)
            use_env(runs, RUN_QUEUE_URL=redis.url)
            ids = [f"queue-mem-{i}" for i in range(args.concurrent)]
            for run_id in ids:
                launch(run_id)
            assert node.process is not None
            pool = psutil.Process(node.process.pid)
            workers = pool.children()
            per_run = pss_mb([p for w in workers for p in [w, *w.children(recursive=True)]]) / args.concurrent
            pool_pss = pss_mb([pool])
            stop_all(ids)
        finally:
            node.kill()
            redis.stop()

    print(f"\n== Launch to first dispatch ({args.repeat} runs each, {SAMPLE.name}, simulated) ==")
    print(f"{'':<28}{'local launcher':<36}{'queue (RQ + Redis)':<36}")
    print(f"{'launch call returns':<28}{median(local[0]):<36}{median(queued[0]):<36}")
    print(f"{'first session dispatched':<28}{median(local[1]):<36}{median(queued[1]):<36}")
    print(f"\n== Memory per concurrent run ({args.concurrent} runs at once, PSS) ==")
    print(f"{'local: the engine':<44}{local_pss:8.1f} MB")
    print(f"{'queue: worker + job process + engine':<44}{per_run:8.1f} MB")
    print(f"{'queue: the node (pool) process, once':<44}{pool_pss:8.1f} MB")
    figures = {"local": local, "queue": queued, "pss_mb": [local_pss, per_run, pool_pss]}
    print(json.dumps(figures), file=sys.stderr)


if __name__ == "__main__":
    main()
