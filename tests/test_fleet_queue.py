"""The queue launcher and the worker's job, end to end: real worker nodes on a throwaway Redis,
runs launched, stopped and resumed through the command line with RUN_QUEUE_URL set."""

from __future__ import annotations

import json
import signal
import socket
import time
from datetime import timedelta
from pathlib import Path

import pytest
from rq.job import Job

from engine.core.models import RunStatus, utcnow
from engine.devin.preflight import PreflightError
from engine.fleet.enqueue import enqueue_run
from engine.launch import control
from engine.launch.prepare import prepare_run
from engine.runs.paths import RunPaths
from engine.settings.environment import load_settings
from tests.crash_helpers import sigkill, wait_for
from tests.engine_helpers import SAMPLE, cli, load_run, roomy_policy
from tests.fleet_helpers import Node, needs_redis, running

pytestmark = [pytest.mark.slow, needs_redis]


def fleet_cli(runs: Path, url: str, *args: str, **env: str):  # type: ignore[no-untyped-def]
    return cli(runs, *args, RUN_QUEUE_URL=url, MIN_SUCCESS_RATE="0", **env)


def status_of(runs: Path, url: str, run_id: str) -> dict:
    done = fleet_cli(runs, url, "status", run_id, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def dispatched(runs: Path, run_id: str) -> bool:
    try:
        return any(s.session_id for s in load_run(runs, run_id).sessions)
    except (FileNotFoundError, ValueError):
        return False


def state_is(runs: Path, run_id: str, *statuses: RunStatus) -> bool:
    try:
        return load_run(runs, run_id).status in statuses
    except (FileNotFoundError, ValueError):
        return False


def test_a_queued_run_waits_for_a_worker_can_be_unqueued_and_runs_on_one(tmp_path: Path, fleet_redis) -> None:
    runs, url = tmp_path / "runs", fleet_redis.url
    launched = fleet_cli(runs, url, "run", str(SAMPLE), "--detach", "--speed", "300", "--run-id", "q1")
    assert launched.returncode == 0, launched.stderr
    assert launched.stdout.strip() == "q1"
    assert "queued for the worker fleet" in launched.stderr
    shown = status_of(runs, url, "q1")
    assert shown["display_status"] == "queued" and shown["bootstrap"]["status"] == "queued"
    listed = fleet_cli(runs, url, "status")
    assert "queued" in listed.stdout
    # A second engine for it is refused, queued or not; stopping takes it off the queue.
    again = fleet_cli(runs, url, "resume", "q1", "--detach")
    assert again.returncode == 2 and "it waits for a worker" in again.stderr
    stopped = fleet_cli(runs, url, "stop", "q1")
    assert stopped.returncode == 0 and "taken off the queue" in stopped.stdout, stopped.stderr
    assert not (runs / "q1" / "bootstrap.json").exists()
    assert json.loads(fleet_cli(runs, url, "status", "--json").stdout)[0]["display_status"] == "pending"
    # Resumed, it is queued again, and a worker that comes later runs it to its end.
    resumed = fleet_cli(runs, url, "resume", "q1", "--detach")
    assert resumed.returncode == 0, resumed.stderr
    with running(Node("alpha", runs, url, 1)):
        wait_for(lambda: state_is(runs, "q1", RunStatus.completed), 90, step=0.2, what="q1 to complete")
        boot = json.loads((runs / "q1" / "bootstrap.json").read_text())
        job = Job.fetch(boot["job_id"], connection=fleet_redis.client())
        wait_for(lambda: job.get_status(refresh=True) == "finished", 30, what="its job to finish")
    run = load_run(runs, "q1")
    assert run.engine_worker is not None and run.engine_worker.startswith("alpha.1.")
    assert run.engine_host == "host-alpha"
    assert boot["worker"] == run.engine_worker and boot["job_id"].startswith("run-q1-")
    assert job.return_value()["outcome"] == "engine exited"
    assert fleet_cli(runs, url, "validate", "q1").returncode == 0
    assert "Engine: worker alpha.1." in fleet_cli(runs, url, "status", "q1").stdout


def test_stop_reaches_the_engine_on_its_node_and_resume_continues_there(tmp_path: Path, fleet_redis) -> None:
    runs, url = tmp_path / "runs", fleet_redis.url
    with running(Node("beta", runs, url, 1)):
        launched = fleet_cli(runs, url, "run", str(SAMPLE), "--detach", "--speed", "5", "--run-id", "s1")
        assert launched.returncode == 0, launched.stderr
        wait_for(lambda: state_is(runs, "s1", RunStatus.running), 60, what="s1 to run")
        wait_for(lambda: dispatched(runs, "s1"), 60, what="a dispatch")
        shown = status_of(runs, url, "s1")
        assert shown["engine_alive"] and shown["engine_liveness"] == "lease"
        assert shown["engine_worker"].startswith("beta.1.")
        # This process is not on the engine's host (host-beta): only the fleet can stop it.
        asked = time.monotonic()
        stopped = fleet_cli(runs, url, "stop", "s1")
        took = time.monotonic() - asked
        assert stopped.returncode == 0, stopped.stderr
        assert "stopped (interrupted)" in stopped.stdout
        assert load_run(runs, "s1").status == RunStatus.interrupted
        assert took < 6 + 3  # the command's own start-up on a loaded machine, beside the 6 s
        wait_for(lambda: not fleet_redis.client().exists("patchwave:run:s1:lease"), 15, what="the release")
        assert status_of(runs, url, "s1")["engine_liveness"] == "no lease"
        resumed = fleet_cli(runs, url, "resume", "s1", "--detach")
        assert resumed.returncode == 0, resumed.stderr
        wait_for(lambda: state_is(runs, "s1", RunStatus.running), 60, what="s1 to run again")
        kinds = [json.loads(line)["kind"] for line in (runs / "s1" / "events.jsonl").read_text().splitlines()]
        assert kinds.count("run_interrupted") == 1 and "run_resumed" in kinds


def test_a_job_for_a_completed_run_does_nothing(tmp_path: Path, fleet_redis) -> None:
    runs, url = tmp_path / "runs", fleet_redis.url
    done = cli(runs, "run", str(SAMPLE), "--speed", "2000", "--run-id", "c1")  # locally, to its end
    assert done.returncode == 0, done.stderr
    before = (runs / "c1" / "state.json").read_bytes()
    redis = fleet_redis.client()
    boot = enqueue_run(redis, "runs", RunPaths.of(runs, "c1"))  # as a stale or repeated job would be
    with running(Node("gamma", runs, url, 1)):
        job = Job.fetch(boot.job_id, connection=redis)
        wait_for(lambda: job.get_status(refresh=True) == "finished", 60, what="the job to finish")
    assert job.return_value()["outcome"] == "already completed"
    assert (runs / "c1" / "state.json").read_bytes() == before


def test_a_warm_shutdown_hands_the_run_to_another_node(tmp_path: Path, fleet_redis) -> None:
    runs, url = tmp_path / "runs", fleet_redis.url
    first = Node("delta", runs, url, 1)
    with running(first):
        launched = fleet_cli(runs, url, "run", str(SAMPLE), "--detach", "--speed", "40", "--run-id", "h1")
        assert launched.returncode == 0, launched.stderr
        wait_for(lambda: dispatched(runs, "h1"), 60, what="a dispatch")
        assert load_run(runs, "h1").engine_host == "host-delta"
        with running(Node("zeta", runs, url, 1)):
            assert first.process is not None
            first.process.send_signal(signal.SIGTERM)  # the node is asked to stop, as by `docker stop`
            first.process.wait(timeout=30)
            wait_for(lambda: state_is(runs, "h1", RunStatus.completed), 120, step=0.2, what="h1 elsewhere")
    run = load_run(runs, "h1")
    assert run.engine_host == "host-zeta"
    kinds = [json.loads(line)["kind"] for line in (runs / "h1" / "events.jsonl").read_text().splitlines()]
    assert "run_interrupted" in kinds and "run_resumed" in kinds
    assert fleet_cli(runs, url, "validate", "h1").returncode == 0


def test_a_worker_needs_the_queue_and_the_runs_folder(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    done = cli(runs, "worker")
    assert done.returncode == 2 and "set RUN_QUEUE_URL" in done.stderr
    done = cli(tmp_path / "nowhere", "worker", RUN_QUEUE_URL="redis://127.0.0.1:1/0")
    assert done.returncode == 2 and "does not exist" in done.stderr
    done = cli(runs, "worker", "--queue", "no spaces", RUN_QUEUE_URL="redis://127.0.0.1:1/0")
    assert done.returncode == 2 and "invalid queue name" in done.stderr
    done = cli(runs, "worker", RUN_QUEUE_URL="redis://127.0.0.1:1/0")
    assert done.returncode == 2 and "does not answer" in done.stderr


def test_a_failover_from_another_host_does_not_wait_for_its_heartbeat(tmp_path: Path, fleet_redis) -> None:
    """Across hosts a heartbeat counts as fresh for as long as clocks may disagree (up to 90 s):
    the dead fleet engine's heartbeat must not hold up the failover; its lease decides."""
    runs, url = tmp_path / "runs", fleet_redis.url
    launched = cli(runs, "run", str(SAMPLE), "--detach", "--speed", "5", "--run-id", "x1")
    assert launched.returncode == 0, launched.stderr
    wait_for(lambda: dispatched(runs, "x1"), 60, what="a dispatch")
    pid = load_run(runs, "x1").pid
    assert pid is not None
    sigkill(pid)
    # As a fleet engine on another machine left it, 40 s before its job was re-queued here.
    run = load_run(runs, "x1")
    run.engine_worker, run.engine_host, run.engine_boot_id = "gone.1.dead", "elsewhere", "another-boot"
    run.heartbeat_at = utcnow() - timedelta(seconds=40)
    (runs / "x1" / "state.json").write_text(run.model_dump_json())
    boot = enqueue_run(fleet_redis.client(), "runs", RunPaths.of(runs, "x1"))
    with running(Node("eta", runs, url, 1)):
        job = Job.fetch(boot.job_id, connection=fleet_redis.client())
        wait_for(
            lambda: (
                state_is(runs, "x1", RunStatus.running) and load_run(runs, "x1").engine_host == "host-eta"
            ),
            25,
            what="x1 to resume at once",
        )
        assert job.get_status(refresh=True) == "started"


def test_the_api_key_never_goes_into_the_queue(tmp_path: Path, fleet_redis, monkeypatch) -> None:
    """The job carries the run id only: each worker's engine takes the key from that worker's
    own environment."""
    runs = tmp_path / "runs"
    secret = "devin-key-of-the-launching-host"
    settings = load_settings(
        runs_dir=runs,
        devin_api_key=secret,
        run_queue_url=fleet_redis.url,
        settings_file=tmp_path / "none.toml",
        policy_file=roomy_policy(runs),
        speed=50,
    )
    options = control.LaunchOptions(mode="simulated", use_ledger=False)
    boot = control.launch_detached(SAMPLE.read_bytes(), SAMPLE.name, settings, options, "k1")
    assert boot.status == "queued"
    redis = fleet_redis.client()
    stored = b"".join(
        b"".join(redis.hgetall(key).values()) if redis.type(key) == b"hash" else (redis.dump(key) or b"")
        for key in redis.keys("*")
    )
    assert secret.encode() not in stored
    job = Job.fetch(boot.job_id, connection=redis)
    assert job.args == ("k1",) and job.kwargs == {}


def test_a_live_resume_checks_the_api_before_anything_is_queued(tmp_path: Path, fleet_redis) -> None:
    """With the queue launcher, a live run's resume runs the same preflight as a local one,
    before anything is queued: while the run's API does not answer, the CLI's resume and the
    app's (control.resume_detached) are refused naming the URL, and no job, no bootstrap
    record, no Redis key is left behind."""
    runs = tmp_path / "runs"
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    api = f"http://127.0.0.1:{port}/v1"
    settings = load_settings(
        runs_dir=runs,
        devin_api_key="any-key",
        devin_api_base_url=api,
        run_queue_url=fleet_redis.url,
        settings_file=tmp_path / "none.toml",
        services_file=tmp_path / "none-services.toml",
    )
    config, options = control.launch_plan_options(settings, use_ledger=False, live=True)
    prepare_run(SAMPLE.read_bytes(), SAMPLE.name, config, options, runs, "lv1")

    refused = fleet_cli(runs, fleet_redis.url, "resume", "lv1", "--detach", DEVIN_API_KEY="any-key")
    assert refused.returncode == 2, refused.stderr
    assert f"127.0.0.1:{port}" in refused.stderr and "queued" not in refused.stderr
    with pytest.raises(PreflightError, match=f"127.0.0.1:{port}"):
        control.resume_detached(settings, "lv1")
    assert not RunPaths.of(runs, "lv1").bootstrap.exists()
    assert fleet_redis.client().dbsize() == 0
