"""End to end: the command line runs a findings file against the simulated Devin API."""

from __future__ import annotations

import json
import shutil
from collections import Counter

import pytest

from engine.core.models import EventKind, RunStatus, SessionStatus, WaveStatus
from engine.execute.totals import latest_sessions
from engine.runs.events import read_events
from engine.runs.index import index_path
from engine.runs.paths import RunPaths
from engine.runs.reviews import record_review
from engine.simulator import SimulatorServer
from tests.engine_helpers import SAMPLE, cli, load_run, read_json

pytestmark = pytest.mark.slow


def outcomes(run) -> dict[str, list[tuple[int, str]]]:
    by_finding: dict[str, list[tuple[int, str]]] = {}
    for s in sorted(run.sessions, key=lambda s: (s.finding_id, s.attempt)):
        by_finding.setdefault(s.finding_id, []).append((s.attempt, s.status.value))
    return by_finding


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    """The acceptance run: the sample data at --speed 50, simulated."""
    runs = tmp_path_factory.mktemp("runs")
    done = cli(runs, "run", str(SAMPLE), "--speed", "50", "--seed", "3", "--run-id", "demo")
    return runs, done


def test_simulated_sample_run_completes_and_validates(sample_run) -> None:
    runs, done = sample_run
    assert done.returncode == 0, done.stderr
    run = load_run(runs, "demo")
    assert run.status == RunStatus.completed and run.data_source == "simulated"
    latest = {}
    for s in run.sessions:
        latest[s.finding_id] = max(latest.get(s.finding_id, s), s, key=lambda x: x.attempt)
    assert set(latest) == {f.finding_id for f in run.findings}
    assert all(s.status.is_terminal for s in latest.values())
    t = run.totals
    assert t.findings == 24 == t.findings_succeeded + t.findings_failed + t.findings_open
    assert t.findings_open == 0
    assert t.sessions == len(run.sessions) == sum(t.sessions_by_status.values())
    assert t.pull_requests == sum(1 for s in run.sessions if s.pull_request_url)
    assert all(w.status == WaveStatus.completed for w in run.waves)
    assert [len(w.finding_ids) for w in run.waves] == [10, 10, 4]
    assert cli(runs, "validate", "demo").returncode == 0
    index = read_json(index_path(runs))
    [entry] = [e for e in index["runs"] if e["run_id"] == "demo"]
    assert entry["status"] == "completed" and entry["findings"] == 24
    stats = read_json(runs / "demo" / "simulator_stats.json")
    assert stats["sessions_created"] == len(run.sessions)


def test_timeline_records_the_run(sample_run) -> None:
    runs, _ = sample_run
    run = load_run(runs, "demo")
    kinds = Counter(e.kind for e in read_events(runs / "demo" / "events.jsonl"))
    assert kinds[EventKind.run_started] == 1 and kinds[EventKind.run_completed] == 1
    assert kinds[EventKind.wave_started] == kinds[EventKind.wave_completed] == 3
    assert kinds[EventKind.session_dispatched] == len(run.sessions)
    finished = kinds[EventKind.session_completed] + kinds[EventKind.session_failed]
    assert finished == len(run.sessions)


def test_standalone_simulator_gives_the_same_result_one_session_per_attempt(sample_run, tmp_path) -> None:
    runs, _ = sample_run
    simulated = load_run(runs, "demo")
    with SimulatorServer(seed=3, speed=50) as server:
        # Another run id on purpose: a seeded run plays out the same whatever it is called.
        done = cli(
            tmp_path,
            "run",
            str(SAMPLE),
            "--speed",
            "50",
            "--seed",
            "3",
            "--run-id",
            "again",
            DEVIN_API_KEY="any-key",
            DEVIN_API_BASE_URL=server.base_url,
        )
        stats = server.stats()
    assert done.returncode == 0, done.stderr
    live = load_run(tmp_path, "again")
    assert live.data_source == "live" and live.config.api_base_url == server.base_url
    # The key lives only in the environment: no run file, log or index line carries it.
    for path in [index_path(tmp_path), *(tmp_path / "again").rglob("*")]:
        if path.is_file():
            assert b"any-key" not in path.read_bytes(), path.name
    assert "any-key" not in done.stdout + done.stderr
    assert outcomes(live) == outcomes(simulated)
    attempt_tags = {
        t: n
        for t, n in stats["sessions_by_tag"].items()
        if t.rsplit("-", 1)[-1][:1] == "a" and t.startswith("patchwave-again-")
    }
    assert len(attempt_tags) == len(live.sessions)
    assert set(attempt_tags.values()) == {1}
    assert stats["sessions_created"] == len(live.sessions)
    assert cli(tmp_path, "validate", "again").returncode == 0


def test_failing_wave_pauses_the_run_and_resume_continues(tmp_path) -> None:
    done = cli(
        tmp_path,
        "run",
        str(SAMPLE),
        "--speed",
        "2000",
        "--run-id",
        "gate",
        "--failure-rate",
        "1",
        "--max-retries",
        "1",
        "--wave-size",
        "12",
    )
    assert done.returncode == 0, done.stderr
    run = load_run(tmp_path, "gate")
    assert run.status == RunStatus.paused
    assert "wave 1" in (run.status_reason or "") and "70%" in run.status_reason
    assert [w.status for w in run.waves] == [WaveStatus.gated, WaveStatus.pending]
    assert Counter(s.attempt for s in run.sessions) == {1: 12, 2: 12}
    assert all(s.status == SessionStatus.failed for s in run.sessions)
    kinds = [e.kind for e in read_events(tmp_path / "gate" / "events.jsonl")]
    assert EventKind.wave_gated in kinds
    assert cli(tmp_path, "validate", "gate").returncode == 0

    resumed = cli(tmp_path, "resume", "gate")
    assert resumed.returncode == 0, resumed.stderr
    run = load_run(tmp_path, "gate")
    # The last wave has no wave after it to protect, so it completes rather than gates.
    assert run.status == RunStatus.completed
    assert [w.status for w in run.waves] == [WaveStatus.gated, WaveStatus.completed]
    assert run.config.sim_failure_rate == 1.0  # resume kept the launch settings
    assert run.totals.findings_failed == 24
    assert len({s.key for s in run.sessions}) == len(run.sessions) == 48
    assert cli(tmp_path, "validate", "gate").returncode == 0


def test_only_one_wave_runs_with_wave_flag(tmp_path) -> None:
    done = cli(tmp_path, "run", str(SAMPLE), "--speed", "2000", "--run-id", "w2", "--wave", "2")
    assert done.returncode == 0, done.stderr
    run = load_run(tmp_path, "w2")
    assert [w.status for w in run.waves] == [WaveStatus.skipped, WaveStatus.completed, WaveStatus.skipped]
    assert {s.finding_id for s in run.sessions} == set(run.waves[1].finding_ids)
    assert cli(tmp_path, "run", str(SAMPLE), "--wave", "9").returncode == 2


def test_sessions_time_out_and_are_terminated(tmp_path) -> None:
    done = cli(
        tmp_path,
        "run",
        str(SAMPLE),
        "--speed",
        "20",
        "--run-id",
        "slow",
        "--wave",
        "3",
        "--timeout-minutes",
        "1",
        "--max-retries",
        "0",
        "--min-success-rate",
        "0",
    )
    assert done.returncode == 0, done.stderr
    run = load_run(tmp_path, "slow")
    assert {s.status for s in run.sessions} == {SessionStatus.timeout}
    assert all("no result within 1 minutes" in (s.error or "") for s in run.sessions)
    assert read_json(tmp_path / "slow" / "simulator_stats.json")["sessions_terminated"] == 4


def test_dry_run_writes_and_sends_nothing(tmp_path) -> None:
    done = cli(tmp_path, "run", str(SAMPLE), "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "24 sessions would be created" in done.stdout
    assert not index_path(tmp_path).exists()
    assert list(tmp_path.iterdir()) == []


def test_run_id_is_never_reused_and_bad_input_writes_nothing(tmp_path) -> None:
    first = cli(tmp_path, "run", str(SAMPLE), "--speed", "5000", "--run-id", "once", "--wave", "3")
    assert first.returncode == 0, first.stderr
    again = cli(tmp_path, "run", str(SAMPLE), "--run-id", "once")
    assert again.returncode == 2 and "already exists" in again.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("finding_id,title\nx,y\n")
    refused = cli(tmp_path, "run", str(bad), "--run-id", "never")
    assert refused.returncode == 2 and "missing required column" in refused.stderr
    assert not (tmp_path / "never").exists()
    assert cli(tmp_path, "run", str(SAMPLE), "--run-id", "../escape").returncode == 2


def test_status_lists_runs_and_reports_one(sample_run) -> None:
    runs, _ = sample_run
    listing = cli(runs, "status")
    assert listing.returncode == 0 and "demo" in listing.stdout and "completed" in listing.stdout
    detail = json.loads(cli(runs, "status", "demo", "--json").stdout)
    assert detail["display_status"] == "completed" and detail["engine_alive"] is False
    assert cli(runs, "status", "nosuch").returncode == 2


def test_status_listing_counts_a_fix_only_once_its_pull_request_is_approved(sample_run, tmp_path) -> None:
    """The run list speaks the one vocabulary: an unreviewed PR awaits review, a rejected one
    failed, only an approved one is a fix."""
    runs = tmp_path / "runs"
    shutil.copytree(sample_run[0], runs)
    paths = RunPaths.existing(runs, "demo")
    run = load_run(runs, "demo")
    with_pr = sorted(
        (s for s in latest_sessions(run).values() if s.pull_request_url), key=lambda s: s.finding_id
    )
    record_review(paths, run, with_pr[0].finding_id, with_pr[0].attempt, "approved", "a@example.com")
    record_review(paths, run, with_pr[1].finding_id, with_pr[1].attempt, "rejected", "a@example.com", "no")
    listing = cli(runs, "status").stdout.splitlines()
    header = listing[0].split("  ")
    header = [h.strip() for h in header if h.strip()]
    row = next(line.split() for line in listing if line.startswith("demo"))
    figures = dict(zip(header, row, strict=False))
    assert header[4:10] == ["findings", "fixed", "PR awaiting review", "failed", "held back", "open"]
    assert int(figures["fixed"]) == 1
    assert int(figures["PR awaiting review"]) == len(with_pr) - 2
    failed_without_pr = sum(1 for s in latest_sessions(run).values() if not s.pull_request_url)
    assert int(figures["failed"]) == failed_without_pr + 1
    assert sum(int(figures[k]) for k in header[5:10]) == int(figures["findings"])


class RefusingApi:
    """The Devin API as seen through a gateway that refuses every session create (422, as for
    an ACU limit the organisation does not allow) and passes every other request on to a
    simulator."""

    def __init__(self, upstream: str) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        import requests

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = self.path.removeprefix("/v1")
                if self.command == "POST" and path.split("?")[0] == "/sessions":
                    status, payload = 422, json.dumps({"detail": "max_acu_limit is above the limit"}).encode()
                else:
                    headers = {
                        k: v
                        for k, v in self.headers.items()
                        if k.lower() in ("authorization", "content-type")
                    }
                    answer = requests.request(
                        self.command, upstream + path, data=body, headers=headers, timeout=10
                    )
                    status, payload = answer.status_code, answer.content
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _forward

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> RefusingApi:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_refused_create_fails_the_finding_without_retrying(tmp_path) -> None:
    with SimulatorServer(seed=0, speed=5000) as sim, RefusingApi(sim.base_url) as api:
        done = cli(
            tmp_path,
            "run",
            str(SAMPLE),
            "--speed",
            "5000",
            "--wave",
            "3",
            "--run-id",
            "refused",
            DEVIN_API_KEY="any-key",
            DEVIN_API_BASE_URL=api.base_url,
        )
    assert done.returncode == 0, done.stderr
    run = load_run(tmp_path, "refused")
    assert run.status == RunStatus.completed
    assert len(run.sessions) == 4  # one attempt each: the same request would be refused again
    assert all(
        s.status == SessionStatus.failed and not s.retryable and s.session_id is None for s in run.sessions
    )
    assert all("create refused" in (s.error or "") for s in run.sessions)
    assert run.totals.findings_failed == 4 and run.totals.findings_open == 20
    assert cli(tmp_path, "validate", "refused").returncode == 0
