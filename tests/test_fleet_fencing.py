"""Fencing: an engine started under a fleet lease writes nothing once the lease is gone.

The engine here is the real one (`python -m engine execute`), given a lease the test holds and
renews in the job's place. The test then stops the engine (SIGSTOP) for longer than the
lease, lets the lease expire (and, in one case, a successor take it), wakes the engine
(SIGCONT) and checks that not one byte of the run changed: state, logs, journals, the
simulator's journal and stats, the run index."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.fleet.lease import Lease
from engine.launch.control import launch_plan_options
from engine.launch.prepare import prepare_run
from engine.runs.paths import RunPaths
from engine.runs.state_store import load_state_if_present
from engine.settings.environment import load_settings
from tests.crash_helpers import wait_for
from tests.engine_helpers import REPO, SAMPLE
from tests.fleet_helpers import fleet_env, needs_redis

pytestmark = [pytest.mark.slow, needs_redis]

RUN_ID = "fenced"
LEASE_SECONDS = 3.0
NOT_STATE = {"engine.log"}  # the engine's own log says why it stopped


def prepare(runs: Path) -> RunPaths:
    settings = load_settings(runs_dir=runs, settings_file=runs.parent / "none.toml", seed=3, speed=5)
    config, options = launch_plan_options(settings, use_ledger=False, live=False)
    paths, _ = prepare_run(SAMPLE.read_bytes(), SAMPLE.name, config, options, runs, RUN_ID)
    return paths


def snapshot(runs: Path) -> dict[str, bytes]:
    """Every file of the runs folder the engine could write, but its log and lock files."""
    return {
        str(p.relative_to(runs)): p.read_bytes()
        for p in sorted(runs.rglob("*"))
        if p.is_file() and p.name not in NOT_STATE and not p.name.endswith(".lock")
    }


def start_engine(runs: Path, url: str, lease: Lease) -> subprocess.Popen:
    env = fleet_env(
        runs,
        url,
        PATCHWAVE_LEASE_KEY=lease.key,
        PATCHWAVE_LEASE_TOKEN=lease.token,
        PATCHWAVE_WORKER="test-worker",
    )
    log = (runs / RUN_ID / "engine.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "engine", "execute", RUN_ID, "--runs-dir", str(runs)],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def dispatched(paths: RunPaths) -> bool:
    run = load_state_if_present(paths.state)
    return run is not None and sum(1 for s in run.sessions if s.session_id) >= 3


@pytest.mark.parametrize("successor", [True, False], ids=["another-attempt-holds-it", "it-expired"])
def test_an_engine_woken_after_its_lease_ran_out_writes_nothing(
    tmp_path: Path, fleet_redis, successor: bool
) -> None:
    runs = tmp_path / "runs"
    paths = prepare(runs)
    redis = fleet_redis.client()
    lease = Lease(redis, RUN_ID, "test-worker/job-1/first", ttl_seconds=LEASE_SECONDS)
    assert lease.acquire({"worker": "test-worker"})
    engine = start_engine(runs, fleet_redis.url, lease)
    try:
        # The job's part: renew while the engine works.
        deadline = time.monotonic() + 60
        while not dispatched(paths):
            assert engine.poll() is None, (paths.engine_log.read_text())[-2000:]
            assert time.monotonic() < deadline, "the engine dispatched nothing"
            lease.renew()
            time.sleep(0.2)
        assert load_state_if_present(paths.state).engine_worker == "test-worker"

        os.kill(engine.pid, signal.SIGSTOP)  # the engine stands still; nobody renews its lease
        time.sleep(0.5)
        before = snapshot(runs)
        wait_for(lambda: not redis.exists(lease.key), LEASE_SECONDS + 5, what="the lease to expire")
        if successor:
            taker = Lease(redis, RUN_ID, "other-worker/job-1/second", ttl_seconds=60)
            assert taker.acquire({"worker": "other-worker"})
        time.sleep(1.0)  # well past the time the engine last trusted its lease
        os.kill(engine.pid, signal.SIGCONT)
        code = engine.wait(timeout=30)
        time.sleep(0.5)
        after = snapshot(runs)
    finally:
        if engine.poll() is None:
            engine.kill()
            engine.wait()

    log = paths.engine_log.read_text()
    assert code == 3, log[-3000:]  # `execute`: lease lost
    changed = sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))
    assert changed == [], changed
    expected = "held by another worker's job" if successor else "has expired"
    assert expected in log and "wrote nothing more" in log, log[-3000:]
