"""The worker fleet on one machine: two nodes of workers, a throwaway Redis, failover.

Runs are launched through the app's own launch path (the Launch page's button, AppTest) with
RUN_QUEUE_URL set; the nodes are `python -m engine worker` process groups, each named as a host
of its own (so each takes its own per-host engine lock, as a machine of its own would). With
the ledger and the run index on PostgreSQL (DATABASE_URL), the same test runs unchanged
against it; today they live in the shared runs folder every node mounts."""

from __future__ import annotations

import io
import json
import os
import signal
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from rq import Queue
from rq.job import Job

from engine.core.models import BatchRun, RunStatus, SessionStatus, WaveStatus
from engine.fleet import keys
from engine.launch import control
from engine.ledger import read_ledger
from engine.runs.index import read_index
from engine.runs.journal import replay_journal
from engine.sample import write_sample_csv
from engine.settings.environment import load_settings
from tests.app_fixtures import open_page, texts, use_runs_fixture  # noqa: F401  (pytest fixture)
from tests.crash_helpers import wait_for
from tests.engine_helpers import cli, load_run
from tests.fleet_helpers import Node, needs_redis, running

pytestmark = [pytest.mark.distributed, pytest.mark.slow, needs_redis]

# Seeds whose 30 sample findings are all accepted and share no fingerprint with another's, so
# the findings ledger holds none of them back for another run.
SEEDS = [2, 4, 8, 22, 29, 68, 153]
SPEED = 25  # one of the Launch page's speeds; 30 findings then run for about a minute
# The first node dies this long after the first launch: its runs are well in flight, and the
# other node's own runs end before the failover needs its workers.
KILL_AFTER_SECONDS = 25.0
FAILOVER_BOUND_SECONDS = 90.0
STOP_BOUND_SECONDS = 6.0
FINAL = (RunStatus.completed,)


def findings_file(folder: Path, seed: int) -> Path:
    buffer = io.StringIO()
    write_sample_csv(buffer, 30, seed)
    path = folder / f"findings-{seed}.csv"
    path.write_text(buffer.getvalue())
    return path


def state(runs: Path, run_id: str) -> BatchRun | None:
    try:
        return load_run(runs, run_id)
    except (FileNotFoundError, ValueError):
        return None


def ended(runs: Path, run_id: str) -> bool:
    s = state(runs, run_id)
    return s is not None and s.status in FINAL


def dispatching(runs: Path, run_id: str) -> bool:
    s = state(runs, run_id)
    return s is not None and s.status == RunStatus.running and any(x.session_id for x in s.sessions)


def launch_in_app(path: Path, speed: int = SPEED) -> str:
    """Upload, set the speed, press Launch: what a person does on the Launch page."""
    at = open_page("launch")
    at.file_uploader[0].upload(path.name, path.read_bytes(), "text/csv").run()
    assert not at.exception, at.exception
    at.select_slider(key="launch_speed").set_value(speed).run()
    assert at.select_slider(key="launch_speed").value == speed
    [run_id] = at.session_state["_pw_launch_tokens"].values()
    at.button(key="launch_run").click().run()
    assert not at.exception, at.exception
    assert at.query_params["run"] == run_id and run_id in texts(at), texts(at)  # its Overview
    return run_id


def resumed_after(runs: Path, run_id: str, since_wall: float) -> bool:
    """Whether an engine resumed the run (its `run_resumed` event) after `since_wall`."""
    try:
        lines = (runs / run_id / "events.jsonl").read_text().splitlines()
    except FileNotFoundError:
        return False
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event["kind"] == "run_resumed" and _epoch(event["ts"]) > since_wall:
            return True
    return False


def _epoch(ts: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()


def fenced_files(runs: Path, run_id: str) -> dict[str, object]:
    """Everything of one run its engine writes: the run folder but its log and locks, its line
    in the run index and its findings in the ledger."""
    folder = runs / run_id
    files: dict[str, object] = {
        p.name: p.read_bytes()
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name != "engine.log" and not p.name.endswith(".lock")
    }
    files["index entry"] = next(e for e in read_index(runs).runs if e.run_id == run_id).model_dump_json()
    run = load_run(runs, run_id)
    ledger = read_ledger(runs, run.data_source)
    files["ledger"] = {f.fingerprint: ledger.entries[f.fingerprint].model_dump_json() for f in run.findings}
    return files


def check_no_duplicates_and_nothing_lost(runs: Path, run_id: str, findings_csv: Path) -> None:
    run = load_run(runs, run_id)
    folder = runs / run_id
    # Zero duplicate sessions: one remote session per attempt tag in the simulator's statistics
    # (the last engine's simulator, which replayed every session) and in its journal, and one
    # session per (finding, attempt) in the dispatch journal.
    stats = json.loads((folder / "simulator_stats.json").read_text())
    prefix = f"patchwave-{run_id}-"
    by_tag = {t: n for t, n in stats["sessions_by_tag"].items() if t.startswith(prefix)}
    assert {t: n for t, n in by_tag.items() if n != 1} == {}, run_id
    assert set(by_tag) == {s.tag for s in run.sessions}, run_id
    creates: Counter[str] = Counter()
    for line in (folder / "simulator.jsonl").read_text().splitlines():
        entry = json.loads(line) if line.strip() else {}
        if entry.get("op") == "create":
            creates.update(t for t in entry["body"].get("tags", []) if t.startswith(prefix))
    assert {t: n for t, n in creates.items() if n != 1} == {}, run_id
    assert set(creates) == set(by_tag), run_id
    created_ids: dict[tuple[str, int], set[str]] = {}
    for line in (folder / "dispatch.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record["event"] == "created":
            created_ids.setdefault((record["finding_id"], record["attempt"]), set()).add(record["session_id"])
    assert {k: v for k, v in created_ids.items() if len(v) != 1} == {}, run_id
    assert set(replay_journal(folder / "dispatch.jsonl")) == {s.key for s in run.sessions}, run_id
    assert len({s.session_id for s in run.sessions}) == len(run.sessions), run_id
    # Zero lost findings: every accepted finding is in the run, in one wave, ended.
    ingested = json.loads(cli(runs, "ingest", str(findings_csv), "--json").stdout)["findings"]
    assert {f.finding_id for f in run.findings} == {f["finding_id"] for f in ingested}, run_id
    assert run.held_back == [], run_id
    assert Counter(f for w in run.waves for f in w.finding_ids) == Counter(f.finding_id for f in run.findings)
    assert all(w.status == WaveStatus.completed for w in run.waves), run_id
    latest: dict[str, SessionStatus] = {}
    for s in sorted(run.sessions, key=lambda s: s.attempt):
        latest[s.finding_id] = s.status
    assert set(latest) == {f.finding_id for f in run.findings}, run_id
    assert all(status.is_terminal for status in latest.values()), (run_id, latest)


@pytest.fixture
def fleet_app(tmp_path: Path, fleet_redis, use_runs, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The app's environment (this process is the launching one) pointed at the fleet."""
    runs = tmp_path / "runs"
    runs.mkdir()
    use_runs(runs)
    monkeypatch.setenv("RUN_QUEUE_URL", fleet_redis.url)
    monkeypatch.setenv("MIN_SUCCESS_RATE", "0")  # no run pauses at a wave gate
    monkeypatch.setenv("SETTINGS_FILE", str(runs / ".no-settings-file.toml"))
    monkeypatch.delenv("RUN_QUEUE_NAME", raising=False)
    return runs


def test_a_redis_restart_loses_no_queued_job(fleet_app: Path, fleet_redis) -> None:
    runs, redis = fleet_app, fleet_redis.client()
    ids = [launch_in_app(findings_file(runs.parent, seed), speed=100) for seed in SEEDS[:3]]
    queue = Queue("runs", connection=redis)
    jobs = {run_id: redis.get(keys.job_key(run_id)).decode() for run_id in ids}
    assert sorted(queue.job_ids) == sorted(jobs.values())  # nobody serves the queue yet

    fleet_redis.restart()  # stop (Redis writes its append-only file), start again from it

    redis = fleet_redis.client()
    queue = Queue("runs", connection=redis)
    assert sorted(queue.job_ids) == sorted(jobs.values())
    for run_id, job_id in jobs.items():
        job = Job.fetch(job_id, connection=redis)
        assert job.get_status() == "queued" and job.meta["run_id"] == run_id and job.retries_left == 10
        assert redis.get(keys.job_key(run_id)).decode() == job_id
    with running(Node("after", runs, fleet_redis.url, 3)):
        for run_id in ids:
            wait_for(lambda r=run_id: dispatching(runs, r), 120, 0.1, f"{run_id} to dispatch")
        # Redis restarts again under the running runs: they ride it out, none fails over.
        fleet_redis.restart()
        for run_id in ids:
            wait_for(lambda r=run_id: ended(runs, r), 240, 0.5, f"{run_id} to end")
        for job_id in jobs.values():
            job = Job.fetch(job_id, connection=fleet_redis.client())
            wait_for(lambda j=job: j.get_status(refresh=True) == "finished", 60, 0.2, f"{job_id} to finish")
            assert job.meta["attempts"] == 1, job.meta
    for run_id in ids:
        assert cli(runs, "validate", run_id).returncode == 0
        assert not resumed_after(runs, run_id, 0), run_id


def test_runs_fail_over_a_dead_node_stop_across_hosts_and_a_woken_worker_writes_nothing(
    fleet_app: Path, fleet_redis
) -> None:
    runs, url, redis = fleet_app, fleet_redis.url, fleet_redis.client()
    files = {seed: findings_file(runs.parent, seed) for seed in SEEDS}
    report: list[str] = []

    # Node C holds one run, from a queue of its own; node B serves that queue too.
    node_c = Node("node-c", runs, url, 1, queues=("fence",))
    node_a = Node("node-a", runs, url, 3)
    node_b = Node("node-b", runs, url, 4, queues=("runs", "fence"))
    with running(node_c, graceful=False):
        node_c.wait_ready(redis)
        settings = load_settings(run_queue_name="fence", speed=SPEED, seed=0)
        options = control.LaunchOptions(mode="simulated")
        fence_csv = files[SEEDS[6]]
        fence = "fence-run"
        control.launch_detached(fence_csv.read_bytes(), fence_csv.name, settings, options, fence)
        wait_for(lambda: dispatching(runs, fence), 90, 0.2, "the fence run to dispatch")
        assert load_run(runs, fence).engine_host == "host-node-c"

        with running(node_a, node_b, graceful=False):
            node_a.wait_ready(redis)
            node_b.wait_ready(redis)
            first_launch = time.monotonic()
            launched = {launch_in_app(files[seed]): files[seed] for seed in SEEDS[:6]}
            for run_id in launched:
                wait_for(
                    lambda r=run_id: dispatching(runs, r),
                    120,
                    0.2,
                    f"{run_id} to dispatch",
                )
            hosts = {r: load_run(runs, r).engine_host for r in launched}
            on_a = sorted(r for r, h in hosts.items() if h == "host-node-a")
            on_b = sorted(r for r, h in hosts.items() if h == "host-node-b")
            assert on_a and len(on_a) + len(on_b) == 6, hosts
            time.sleep(max(0.0, first_launch + KILL_AFTER_SECONDS - time.monotonic()))
            assert all(load_run(runs, r).status == RunStatus.running for r in [*on_a, fence])

            # Node A dies, engines and all; node C stands still.
            killed_wall, killed = time.time(), time.monotonic()
            node_a.kill()
            node_c.signal_all(signal.SIGSTOP)
            report.append(f"killed node-a holding {on_a}; stopped node-c holding {fence}")

            # A stop from this process reaches a run on node B through Redis.
            stopped_run = next(r for r in on_b if load_run(runs, r).status == RunStatus.running)
            seen: list[float] = []
            watcher = threading.Thread(target=_watch_status, args=(runs, stopped_run, seen), daemon=True)
            at = open_page("overview", stopped_run)
            asked = time.monotonic()
            watcher.start()
            at.button(key="overview_stop").click().run()
            watcher.join(timeout=STOP_BOUND_SECONDS + 5)
            assert not at.exception, at.exception
            assert seen, f"{stopped_run} never showed interrupted"
            took = seen[0] - asked
            report.append(f"stop of {stopped_run} on node-b: interrupted after {took:.1f} s")
            assert took <= STOP_BOUND_SECONDS, report
            assert any("stopped" in s.value for s in at.success), texts(at)

            # A failover takes its bound only while a worker is free to take the run (see
            # engine/fleet/timing.py). Node B's own runs would otherwise still hold its four
            # workers on a loaded machine, so they are stopped too, and resumed at the end.
            held_by_b = [stopped_run]
            for run_id in on_b:
                if run_id != stopped_run and load_run(runs, run_id).status == RunStatus.running:
                    page = open_page("overview", run_id)
                    if not any(b.key == "overview_stop" for b in page.button):
                        continue  # it reached its end meanwhile
                    page.button(key="overview_stop").click().run()
                    assert not page.exception, page.exception
                    held_by_b.append(run_id)
            for run_id in held_by_b:
                wait_for(lambda r=run_id: not _running(runs, r), 30, 0.2, f"{run_id} to stop")

            # Every run of node A, and node C's, resumes on node B.
            failover: dict[str, float] = {}
            pending = set(on_a) | {fence}
            deadline = killed + FAILOVER_BOUND_SECONDS + 60
            while pending and time.monotonic() < deadline:
                for run_id in list(pending):
                    if resumed_after(runs, run_id, killed_wall):
                        failover[run_id] = time.monotonic() - killed
                        pending.discard(run_id)
                time.sleep(0.25)
            for run_id, seconds in sorted(failover.items()):
                report.append(f"failover of {run_id}: resumed on node-b {seconds:.1f} s after the kill")
            print("\n".join(report))
            assert not pending, f"never resumed: {pending}; {report}"
            assert max(failover.values()) <= FAILOVER_BOUND_SECONDS, report

            # The woken worker writes nothing: its successor on node B is held still while the
            # stalled node C wakes; C's engine must leave every file of the run as it was.
            successor = wait_for(
                lambda: _engine_on(runs, fence, "host-node-b"),
                60,
                0.2,
                "B's pid",
            )
            assert successor in [p.pid for p in node_b.engines()]
            os.kill(successor, signal.SIGSTOP)
            time.sleep(0.5)
            before = fenced_files(runs, fence)
            stalled = [p.pid for p in node_c.engines()]
            assert stalled, "node C's engine is gone before it woke"
            node_c.signal_all(signal.SIGCONT)
            wait_for(lambda: not node_c.engines(), 30, 0.2, "node C's engine to leave")
            time.sleep(1.0)
            after = fenced_files(runs, fence)
            os.kill(successor, signal.SIGCONT)
            assert [k for k in before if before[k] != after.get(k)] == [], "the woken engine wrote"
            assert "held by another worker's job" in (runs / fence / "engine.log").read_text()

            # The stopped runs resume too; then every run runs to its end.
            for run_id in held_by_b:
                if state(runs, run_id) is not None and load_run(runs, run_id).status in FINAL:
                    continue  # it reached its end before the stop landed
                at = open_page("overview", run_id)
                at.button(key="overview_resume").click().run()
                assert not at.exception, at.exception
            for run_id in [*launched, fence]:
                wait_for(lambda r=run_id: ended(runs, r), 300, 0.5, f"{run_id} to end")
    for run_id, csv in [*launched.items(), (fence, fence_csv)]:
        done = cli(runs, "validate", run_id)
        assert done.returncode == 0, (run_id, done.stdout, done.stderr)
        check_no_duplicates_and_nothing_lost(runs, run_id, csv)
    assert not redis.exists(keys.lease_key(fence))


def _running(runs: Path, run_id: str) -> bool:
    s = state(runs, run_id)
    return s is not None and s.status == RunStatus.running


def _engine_on(runs: Path, run_id: str, host: str) -> int | None:
    s = state(runs, run_id)
    return s.pid if s is not None and s.engine_host == host else None


def _watch_status(runs: Path, run_id: str, seen: list[float]) -> None:
    """Notes when the run first shows interrupted (the stop's click blocks until it returns)."""
    deadline = time.monotonic() + STOP_BOUND_SECONDS + 5
    while time.monotonic() < deadline:
        s = state(runs, run_id)
        if s is not None and s.status == RunStatus.interrupted:
            seen.append(time.monotonic())
            return
        time.sleep(0.05)
