"""Supervision against the simulator (a real server on loopback): stalled sessions are nudged
once and terminated when they stall again, retries carry the previous attempt's feedback, and
the v1 statuses the simulator now reports (expired, suspend_requested, resumed, stopped) and
its 403 are each handled by the engine."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from engine.core.models import (
    BatchRun,
    EventKind,
    RemediationSession,
    RunStatus,
    SessionStatus,
    TimelineEvent,
)
from engine.devin.client import DevinClient
from engine.devin.feedback import FEEDBACK_BEGIN, FEEDBACK_END
from engine.devin.prompt import build_prompt
from engine.devin.status import map_status
from engine.execute.start import execute_run
from engine.launch.control import launch_plan_options
from engine.launch.prepare import prepare_run
from engine.runs.events import read_events
from engine.settings.environment import load_settings
from engine.simulator import SimulatorServer
from engine.simulator.supervision import RESUMED_MESSAGE
from tests.app_fixtures import (
    open_page,
    texts,
    use_runs_fixture,  # noqa: F401  (pytest fixture)
)
from tests.engine_helpers import SAMPLE

pytestmark = pytest.mark.slow

SPEED = 200.0
KEY = "supervision-test-key"


def findings_csv(count: int) -> bytes:
    lines = SAMPLE.read_bytes().splitlines(keepends=True)
    return b"".join(lines[: count + 1])


def live_run(
    tmp_path: Path,
    server: SimulatorServer,
    *,
    count: int = 3,
    key: str = KEY,
    **settings: object,
) -> tuple[BatchRun, list[TimelineEvent]]:
    """A live run of the sample's first `count` findings against `server`, in this process."""
    runs = tmp_path / "runs"
    loaded = load_settings(
        runs_dir=runs,
        settings_file=tmp_path / "none.toml",
        services_file=tmp_path / "no-services.toml",
        policy_file=tmp_path / "no-policy.toml",
        devin_api_base_url=server.base_url,
        devin_api_key=KEY,
        speed=SPEED,
        poll_interval_seconds=10,
        **settings,
    )
    config, options = launch_plan_options(loaded, use_ledger=False, live=True)
    paths, _ = prepare_run(findings_csv(count), "findings.csv", config, options, runs, "supervised")
    run = execute_run(paths, key, state_interval=0.2)
    return run, read_events(paths.events)


def kinds(events: list[TimelineEvent], kind: EventKind) -> list[TimelineEvent]:
    return [e for e in events if e.kind == kind]


def test_a_blocked_session_is_nudged_and_then_completes(tmp_path: Path) -> None:
    with SimulatorServer(seed=4, speed=SPEED, failure_rate=0.0, stall_rate=1.0, nudge_success=1.0) as server:
        run, events = live_run(tmp_path, server, stall_minutes=5, max_retries=0)
        stats = server.stats()
    assert run.status == RunStatus.completed
    assert [(s.attempt, s.status) for s in run.sessions] == [(1, SessionStatus.success)] * 3
    assert all(s.nudges == 1 for s in run.sessions)
    nudged = kinds(events, EventKind.session_nudged)
    assert sorted(e.finding_id for e in nudged) == sorted(s.finding_id for s in run.sessions)
    # Blocked ones are nudged at once, silent ones after the stall minutes; each message says
    # what the session works on and what is expected.
    assert {e.details["reason"] for e in nudged} <= {"blocked", "idle"}
    assert "blocked" in {e.details["reason"] for e in nudged}
    assert all("open a pull request" in e.details["message"] for e in nudged)
    assert all(e.session_id for e in nudged)
    assert stats["messages_received"] == 3
    assert stats["sessions_terminated"] == 0
    assert not kinds(events, EventKind.session_stalled_out)


def test_a_session_that_stalls_twice_is_terminated(tmp_path: Path) -> None:
    with SimulatorServer(seed=4, speed=SPEED, failure_rate=0.0, stall_rate=1.0, nudge_success=0.0) as server:
        run, events = live_run(tmp_path, server, count=2, stall_minutes=5, max_retries=0)
        stats = server.stats()
        client = DevinClient(server.base_url, KEY)
        remote = [client.get_session(s.session_id or "") for s in run.sessions]
    assert [s.status for s in run.sessions] == [SessionStatus.failed] * 2
    assert all(s.nudges == 1 and "stalled again after a nudge" in (s.error or "") for s in run.sessions)
    assert len(kinds(events, EventKind.session_nudged)) == 2
    assert len(kinds(events, EventKind.session_stalled_out)) == 2
    assert stats["sessions_terminated"] == 2
    assert {d.status_enum for d in remote} == {"stopped"}  # what a terminated session reports


def test_a_retry_prompt_carries_the_previous_attempts_failure(tmp_path: Path) -> None:
    with SimulatorServer(seed=6, speed=SPEED, failure_rate=1.0) as server:
        run, events = live_run(tmp_path, server, count=1, stall_minutes=0, max_retries=1)
        client = DevinClient(server.base_url, KEY)
        first, second = sorted(run.sessions, key=lambda s: s.attempt)
        prompt = client.get_session(second.session_id or "").messages[0].message or ""
    assert first.status == SessionStatus.failed and first.error
    assert first.last_messages  # read from the API when it ended
    assert second.feedback is not None and second.feedback.outcome == "failed"
    assert FEEDBACK_BEGIN in prompt and FEEDBACK_END in prompt
    block = prompt[prompt.index(FEEDBACK_BEGIN) : prompt.index(FEEDBACK_END)]
    assert first.error[:60] in block
    assert first.last_messages[-1][:60] in block
    [told] = kinds(events, EventKind.retry_feedback)
    assert told.attempt == 2 and told.details["feedback"]["error"] == second.feedback.error


def test_an_unanswered_stall_expires_and_the_engine_times_it_out(tmp_path: Path) -> None:
    with SimulatorServer(seed=4, speed=SPEED, failure_rate=0.0, stall_rate=1.0) as server:
        run, events = live_run(tmp_path, server, count=1, stall_minutes=0, max_retries=0)
    [session] = run.sessions
    assert (session.remote_status_enum, session.status) == ("expired", SessionStatus.timeout)
    assert session.error == "the session expired" and session.nudges == 0
    assert not kinds(events, EventKind.session_nudged)


def wait_for_enum(client: DevinClient, session_id: str, wanted: str, seconds: float = 20.0) -> str:
    deadline = time.monotonic() + seconds
    while True:
        enum = client.get_session(session_id).status_enum or ""
        if enum == wanted or time.monotonic() > deadline:
            return enum
        time.sleep(0.05)


def test_a_nudged_session_reports_resumed_then_works_on(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    loaded = load_settings(runs_dir=runs, settings_file=tmp_path / "none.toml", speed=SPEED)
    config, options = launch_plan_options(loaded, use_ledger=False, live=False)
    _, plan = prepare_run(findings_csv(1), "findings.csv", config, options, runs, "one")
    finding = plan.findings[0]
    prompt = build_prompt(finding, "Fix it", "Fix the finding.", 1)
    # Slow enough to catch the short `resumed` stretch (10 simulated seconds = 0.25 s here).
    speed = 40.0
    with SimulatorServer(seed=4, speed=speed, failure_rate=0.0, stall_rate=1.0, nudge_success=1.0) as server:
        client = DevinClient(server.base_url, KEY)
        session_id = client.create_session(prompt).session_id
        time.sleep(180 / speed + 0.3)  # past the stall point of any plan (two stages of at most 90 s)
        stalled = client.get_session(session_id)
        time.sleep(0.3)
        assert client.get_session(session_id).updated_at == stalled.updated_at  # nothing moves
        client.send_message(session_id, "Please go on.")
        resumed = client.get_session(session_id)
        assert resumed.status_enum == "resumed"
        assert map_status(resumed) == (SessionStatus.working, None)
        assert wait_for_enum(client, session_id, "working", 5) == "working"
        said = [m.message for m in client.get_session(session_id).messages if m.type == "devin_message"]
    assert RESUMED_MESSAGE in said  # it answered the nudge
    assert stalled.status_enum in ("blocked", "working")
    assert (stalled.structured_output or {}).get("current_step") == "fixing"


def test_the_acu_limit_suspends_with_suspend_requested(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    loaded = load_settings(runs_dir=runs, settings_file=tmp_path / "none.toml", speed=SPEED)
    config, options = launch_plan_options(loaded, use_ledger=False, live=False)
    _, plan = prepare_run(findings_csv(1), "findings.csv", config, options, runs, "one")
    prompt = build_prompt(plan.findings[0], "Fix it", "Fix the finding.", 1)
    with SimulatorServer(seed=4, speed=SPEED, failure_rate=0.0) as server:
        client = DevinClient(server.base_url, KEY)
        session_id = client.create_session(prompt, max_acu_limit=1).session_id
        assert wait_for_enum(client, session_id, "suspend_requested") == "suspend_requested"
        status, reason = map_status(client.get_session(session_id))
    assert status == SessionStatus.failed and "usage_limit_exceeded" in (reason or "")


def test_a_key_the_api_refuses_fails_the_run_with_a_clear_error(tmp_path: Path) -> None:
    with SimulatorServer(seed=4, speed=SPEED) as server:
        run, events = live_run(tmp_path, server, count=1, key="invalid-revoked-key")
    assert run.status == RunStatus.failed
    assert "refused our key" in (run.status_reason or "") and "403" in (run.status_reason or "")
    assert kinds(events, EventKind.run_failed)


def test_stall_minutes_are_set_per_category(tmp_path: Path) -> None:
    """The sample's first finding is a dependency: its category's 0 turns supervision off for
    it alone, so its stall goes unanswered until the session expires."""
    with SimulatorServer(seed=4, speed=SPEED, failure_rate=0.0, stall_rate=1.0) as server:
        run, events = live_run(
            tmp_path,
            server,
            count=1,
            stall_minutes=5,
            max_retries=0,
            stall_minutes_by_category={"dependency_vulnerability": 0},
        )
    [session] = run.sessions
    assert run.config.stall_minutes_by_category == {"dependency_vulnerability": 0}
    assert (session.nudges, session.status) == (0, SessionStatus.timeout)
    assert not kinds(events, EventKind.session_nudged)


def test_the_session_detail_shows_nudges_and_retry_feedback(tmp_path: Path, use_runs) -> None:
    with SimulatorServer(seed=4, speed=SPEED, failure_rate=0.6, stall_rate=1.0, nudge_success=1.0) as server:
        run, _ = live_run(tmp_path, server, count=4, stall_minutes=5, max_retries=1)
    nudged = next(s for s in run.sessions if s.nudges)
    retried = next(s for s in run.sessions if s.feedback is not None)
    use_runs(tmp_path / "runs")
    at = open_page("sessions", run.run_id)
    picker = at.selectbox[0]

    def show(session: RemediationSession) -> str:
        [index] = [
            i
            for i, label in enumerate(picker.options)
            if label.startswith(f"{session.finding_id} · attempt {session.attempt} ·")
        ]
        picker.select_index(index).run()
        assert not at.exception, at.exception
        return texts(at)

    page = show(nudged)
    assert "Supervision" in page and "Nudged" in page
    assert any("Patchwave supervisor" in t.value for t in at.text)  # the message it was sent
    page = show(retried)
    assert "Retry feedback" in page and f"attempt {retried.attempt - 1} ended" in page
    assert any(
        retried.feedback and retried.feedback.error and t.value == retried.feedback.error for t in at.text
    )
