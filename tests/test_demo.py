"""The demo, end to end: `python -m engine demo` runs the sample findings through the engine
against the simulator, and what it produces must tell a true story. For every session the
fix approach and files changed (and the pull request's diff) belong to its finding's category
and language; some findings fail for good, others are fixed by a retry, some sessions stop at
their ACU limit; every PR link opens after the run; and the same demo plays the same again,
at another speed, with the wave gate option pausing it after wave 2."""

from __future__ import annotations

import socket
from collections import Counter
from pathlib import Path

import pytest
import requests

from engine.core.models import BatchRun, EventKind, RunStatus, SessionStatus, WaveStatus
from engine.runs.events import read_events
from engine.simulator.pull_archive import saved_pull_for
from engine.simulator.pull_server import PullPageServer
from tests.engine_helpers import cli, load_run
from tests.fix_oracle import problems

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def pages_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, pages_url: str) -> tuple[Path, BatchRun]:
    runs = tmp_path_factory.mktemp("demo") / "runs"
    done = cli(runs, "demo", "--run-id", "demo", timeout=240, SIM_PULL_PAGES_URL=pages_url)
    assert done.returncode == 0, done.stderr
    return runs, load_run(runs, "demo")


def outcome(run: BatchRun) -> dict[tuple[str, int], tuple[object, ...]]:
    return {
        s.key: (
            s.status,
            s.error,
            s.acus_consumed,
            s.pull_request_url,
            s.progress.fix_approach if s.progress else None,
            tuple(s.progress.files_modified) if s.progress else (),
        )
        for s in run.sessions
    }


def test_every_session_fixes_its_finding_the_way_its_category_and_language_need(
    demo: tuple[Path, BatchRun],
) -> None:
    runs, run = demo
    findings = {f.finding_id: f for f in run.findings}
    checked = 0
    for session in run.sessions:
        finding = findings[session.finding_id]
        progress = session.progress
        assert progress is not None and progress.fix_approach, session.key
        diff = None
        if session.status == SessionStatus.success:
            pull = saved_pull_for(runs / run.run_id, session.pull_request_url or "")
            assert pull is not None, session.pull_request_url
            assert pull.finding_id == finding.finding_id
            diff = pull.diff
        found = problems(finding, progress.fix_approach, progress.files_modified, diff)
        where = (
            f"{session.finding_id} attempt {session.attempt} ({finding.category.value}, {finding.language})"
        )
        assert found == [], f"{where}: {found}"
        checked += 1
    assert checked == len(run.sessions) > len(run.findings)


def test_the_demo_has_failures_a_retry_that_succeeds_and_sessions_stopped_at_their_acu_limit(
    demo: tuple[Path, BatchRun],
) -> None:
    _, run = demo
    assert run.status == RunStatus.completed
    latest = {s.finding_id: s for s in sorted(run.sessions, key=lambda s: s.attempt)}
    failed = sorted(f for f, s in latest.items() if s.status != SessionStatus.success)
    retried = sorted(f for f, s in latest.items() if s.status == SessionStatus.success and s.attempt > 1)
    capped = [s for s in run.sessions if "usage_limit_exceeded" in (s.error or "")]
    assert failed == ["PW-0018", "PW-0021"]  # two findings the agent cannot fix: 22 of 24 fixed
    assert len(retried) >= 3 and "PW-0010" in retried
    assert len(capped) >= 2 and all(s.acus_consumed == 5.0 for s in capped)
    assert [w.status for w in run.waves] == [WaveStatus.completed] * 3
    assert [w.failed for w in run.waves] == [0, 2, 0]
    assert all(s.acus_consumed and 0.5 < s.acus_consumed <= 5.0 for s in run.sessions)
    assert 2.0 < sum(s.acus_consumed or 0 for s in run.sessions) / len(run.sessions) < 5.0
    assert (
        Counter(s.status for s in run.sessions)[SessionStatus.failed]
        == len(run.sessions) - len(run.findings) + 2
    )


def test_the_demo_nudges_stalled_sessions_and_tells_retries_why_they_failed(
    demo: tuple[Path, BatchRun],
) -> None:
    runs, run = demo
    events = read_events(runs / "demo" / "events.jsonl")
    nudged = [e for e in events if e.kind == EventKind.session_nudged]
    told = [e for e in events if e.kind == EventKind.retry_feedback]
    assert nudged and all(
        s.nudges for s in run.sessions if s.key in {(e.finding_id, e.attempt) for e in nudged}
    )
    assert len(told) == sum(1 for s in run.sessions if s.attempt > 1)
    assert all(s.feedback is not None for s in run.sessions if s.attempt > 1)


def test_every_pull_request_link_opens_after_the_run(demo: tuple[Path, BatchRun], pages_url: str) -> None:
    runs, run = demo
    urls = [s.pull_request_url for s in run.sessions if s.pull_request_url]
    assert len(urls) == 22 and len(set(urls)) == 22
    assert all(u.startswith(f"{pages_url}/acme-corp/") for u in urls)  # never github.com
    server = PullPageServer(runs, pages_url).start()  # the engine and its simulator are gone
    try:
        for session in run.sessions:
            if session.pull_request_url:
                page = requests.get(session.pull_request_url, timeout=5)
                assert page.status_code == 200, session.pull_request_url
                assert f"[Patchwave] {session.finding_id}:" in page.text
    finally:
        server.stop()


def test_the_same_demo_plays_the_same_again_and_pauses_at_the_gate_when_asked(
    demo: tuple[Path, BatchRun], pages_url: str
) -> None:
    runs, first = demo
    paused = cli(
        runs, "demo", "--run-id", "gated", "--pause-at-gate", "--speed", "200", SIM_PULL_PAGES_URL=pages_url
    )
    assert paused.returncode == 0, paused.stderr
    gated = load_run(runs, "gated")
    assert gated.status == RunStatus.paused
    assert [w.status for w in gated.waves] == [WaveStatus.completed, WaveStatus.gated, WaveStatus.pending]
    assert "wave 2 success rate 80% is below the 90% gate" in (gated.status_reason or "")
    resumed = cli(runs, "resume", "gated", SIM_PULL_PAGES_URL=pages_url)
    assert resumed.returncode == 0, resumed.stderr
    again = load_run(runs, "gated")
    assert again.status == RunStatus.completed
    assert outcome(again) == outcome(first)
