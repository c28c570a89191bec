"""Adaptive dispatch: the simulator's burst-triggered 429s, the client's count of them, and the
pacer's additive increase / multiplicative decrease and review-backlog brake."""

from __future__ import annotations

from collections import deque
from pathlib import Path

import pytest

from engine.core.models import (
    BatchRun,
    EventKind,
    Finding,
    RemediationSession,
    RunConfig,
    RunStatus,
    SessionStatus,
)
from engine.core.pace import RATE_LIMITED, REVIEW_BACKLOG, SERVICE_REVIEW_BACKLOG
from engine.devin.client import DevinClient, build_retry
from engine.execute.pacing import CLEAN_ROUNDS_PER_STEP, DispatchPacer
from engine.execute.recorder import Recorder
from engine.execute.tags import attempt_tag
from engine.runs.events import read_events
from engine.runs.paths import RunPaths
from engine.runs.reviews import record_review
from engine.simulator import SimulatorServer
from engine.simulator.rate_limit import TokenBucket, retry_after_header
from tests.app_fixtures import (
    open_page,
    texts,
    use_runs_fixture,  # noqa: F401  (pytest fixture)
)
from tests.engine_helpers import SAMPLE, cli, load_run, read_json
from tests.fake_clock import FakeClock


def test_the_bucket_lets_a_burst_through_then_refuses_until_it_refills() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=2, burst=3, clock=clock)
    assert [bucket.take() for _ in range(3)] == [None, None, None]
    wait = bucket.take()
    assert wait == pytest.approx(0.5)  # one token at 2 a second
    clock.now += 0.5
    assert bucket.take() is None and bucket.take() is not None
    clock.now += 10  # refills to the burst, never beyond
    assert [bucket.take() for _ in range(4)].count(None) == 3
    assert bucket.refused == 3
    assert retry_after_header(0.01) == "1" and retry_after_header(2.2) == "3"


@pytest.mark.parametrize(("rate", "burst"), [(0, 3), (-1, 3), (1, 0), (1, 1.5)])
def test_the_bucket_refuses_settings_that_mean_nothing(rate: float, burst: int) -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate=rate, burst=burst)


def test_a_burst_above_the_rate_is_answered_429_and_the_client_counts_each_one() -> None:
    """Only bursts are refused (no random faults), and urllib3's retry that then gets through
    still leaves its 429s counted, so the engine can slow down on them."""
    with SimulatorServer(rate_limit=2, rate_burst=3) as server:
        client = DevinClient(server.base_url, "any-key", retry=build_retry(backoff=0.01))
        for _ in range(5):
            client.list_sessions(limit=1)  # every call succeeds in the end
        stats = server.stats()
        client.close()
    assert client.rate_limited == stats["rate_limit"]["refused"] >= 1
    assert stats["rate_limit"]["burst"] == 3 and not client.errors


def test_the_simulator_refuses_a_rate_limit_that_means_nothing() -> None:
    with pytest.raises(ValueError, match="rate_burst"):
        SimulatorServer(rate_limit=1, rate_burst=0)
    with pytest.raises(ValueError, match="rate_limit"):
        SimulatorServer(rate_limit=-1)


# --- the pacer, on a run of its own ---------------------------------------------------------


class Counting:
    def __init__(self) -> None:
        self.seen = 0

    def __call__(self) -> int:
        return self.seen


def _pacer(tmp_path: Path, **config: int) -> tuple[DispatchPacer, BatchRun, Counting, RunPaths]:
    findings = [
        Finding(finding_id=f"F{i}", category="xss", severity="high", title="t", service_name=svc)
        for i, svc in enumerate(["api", "api", "web", "web", "jobs"])
    ]
    run = BatchRun(
        run_id="r",
        data_source="simulated",
        config=RunConfig(data_source="simulated", max_parallel_sessions=8, **config),
        findings=findings,
    )
    paths = RunPaths(tmp_path / "r")
    paths.root.mkdir()
    counter = Counting()
    return DispatchPacer(run, Recorder(run, paths, 1.0), counter), run, counter, paths


def _kinds(paths: RunPaths) -> list[tuple[EventKind, str]]:
    return [(e.kind, (e.details or {}).get("cause", "")) for e in read_events(paths.events)]


def test_429s_halve_the_limit_and_clean_rounds_add_one_back(tmp_path: Path) -> None:
    pacer, run, api, paths = _pacer(tmp_path)
    assert pacer.limit(deque()) == 8
    api.seen = 3  # a round with 429s: halve
    pacer.after_round()
    assert run.dispatch_pace.parallel_limit == 4 and run.dispatch_pace.rate_limited_answers == 3
    api.seen = 4
    pacer.after_round()
    assert run.dispatch_pace.parallel_limit == 2 and pacer.limit(deque()) == 2
    assert run.dispatch_pace.causes == [RATE_LIMITED] and run.dispatch_pace.slowed_since is not None
    for _ in range(CLEAN_ROUNDS_PER_STEP * 6):  # 2 → 8, one step per CLEAN_ROUNDS_PER_STEP rounds
        pacer.after_round()
    pace = run.dispatch_pace
    assert (pace.parallel_limit, pace.lowest_limit, pace.decreases) == (8, 2, 2)
    assert pace.causes == [] and pace.slowed_since is None
    assert _kinds(paths) == [
        (EventKind.dispatch_slowed, RATE_LIMITED),
        (EventKind.dispatch_slowed, RATE_LIMITED),
        (EventKind.dispatch_recovered, RATE_LIMITED),
    ]


def test_the_limit_never_falls_below_one(tmp_path: Path) -> None:
    pacer, run, api, _ = _pacer(tmp_path)
    for n in range(1, 10):
        api.seen = n
        pacer.after_round()
    assert run.dispatch_pace.parallel_limit == 1 == pacer.limit(deque())
    assert run.dispatch_pace.decreases == 3  # 8 → 4 → 2 → 1


def test_a_resumed_engine_keeps_the_limit_it_had_learnt(tmp_path: Path) -> None:
    pacer, run, api, paths = _pacer(tmp_path)
    api.seen = 1
    pacer.after_round()
    again = DispatchPacer(run, Recorder(run, paths, 1.0), Counting())
    assert again.limit(deque()) == 4


def _pull_request(run: BatchRun, finding_id: str) -> None:
    run.sessions.append(
        RemediationSession(
            finding_id=finding_id,
            attempt=1,
            wave_number=1,
            tag=attempt_tag("r", finding_id, 1),
            session_id=f"devin-{finding_id}",
            status=SessionStatus.success,
            pull_request_url=f"https://git.example/pr/{finding_id}",
        )
    )


def test_a_review_backlog_sends_sessions_one_at_a_time_until_reviews_come_in(tmp_path: Path) -> None:
    pacer, run, _, paths = _pacer(tmp_path, max_prs_awaiting_review=2)
    _pull_request(run, "F0")
    assert pacer.limit(deque()) == 8
    _pull_request(run, "F2")
    assert pacer.limit(deque()) == 1
    assert run.dispatch_pace.causes == [REVIEW_BACKLOG] and run.dispatch_pace.prs_awaiting_review == 2
    record_review(paths, run, "F0", 1, "approved", "reviewer@example.com")
    assert pacer.limit(deque()) == 8  # a decision made in the app reaches the engine
    assert run.dispatch_pace.prs_awaiting_review == 1
    assert _kinds(paths) == [
        (EventKind.dispatch_slowed, REVIEW_BACKLOG),
        (EventKind.dispatch_recovered, REVIEW_BACKLOG),
    ]


def test_a_service_with_a_review_backlog_has_its_findings_created_last(tmp_path: Path) -> None:
    pacer, run, _, paths = _pacer(tmp_path, max_prs_awaiting_review_per_service=1)
    _pull_request(run, "F0")  # api now has one PR waiting
    queue = deque([("F1", 1), ("F2", 1), ("F3", 2), ("F4", 1)])
    assert pacer.limit(queue) == 8  # slower for api only: the others still go out in parallel
    assert list(queue) == [("F2", 1), ("F3", 2), ("F4", 1), ("F1", 1)]
    assert run.dispatch_pace.services_held == ["api"]
    assert run.dispatch_pace.causes == [SERVICE_REVIEW_BACKLOG]
    record_review(paths, run, "F0", 1, "rejected", "reviewer@example.com", "wrong fix")
    pacer.limit(queue)
    assert run.dispatch_pace.services_held == []
    assert [k for k, _ in _kinds(paths)] == [EventKind.dispatch_slowed, EventKind.dispatch_recovered]


# --- a whole run under a burst-triggered 429 regime ---------------------------------------------


@pytest.mark.slow
def test_under_burst_429s_the_limit_drops_and_recovers_with_no_duplicate_session(
    tmp_path: Path, use_runs
) -> None:
    """Each wave's first creates (ten at once) overrun a burst of 4: the limit halves, climbs
    back as polls stay under the rate, and every finding still gets exactly one session per
    attempt."""
    done = cli(
        tmp_path,
        "run",
        str(SAMPLE),
        "--speed",
        "50",
        "--run-id",
        "paced",
        "--sim-rate-limit",
        "0.2",
        "--sim-rate-burst",
        "4",
    )
    assert done.returncode == 0, done.stderr
    run = load_run(tmp_path, "paced")
    pace = run.dispatch_pace
    assert run.status == RunStatus.completed
    assert pace.max_parallel == 10 and pace.lowest_limit is not None and pace.lowest_limit < 10
    assert pace.decreases >= 1 and pace.rate_limited_answers >= 1
    timeline = read_events(tmp_path / "paced" / "events.jsonl")
    events = [e for e in timeline if e.kind.value.startswith("dispatch_")]
    assert events[0].kind == EventKind.dispatch_slowed and "429" in events[0].message
    assert any(e.kind == EventKind.dispatch_recovered for e in events)
    stats = read_json(tmp_path / "paced" / "simulator_stats.json")
    assert stats["rate_limit"]["refused"] == pace.rate_limited_answers  # every 429 was seen
    assert stats["sessions_created"] == len(run.sessions)
    tags = [s.tag for s in run.sessions]
    assert len(tags) == len(set(tags))
    assert all(stats["sessions_by_tag"][tag] == 1 for tag in tags)
    assert cli(tmp_path, "validate", "paced").returncode == 0
    shown = cli(tmp_path, "status", "paced")
    assert "Dispatch slowed during this run" in shown.stdout and "429" in shown.stdout
    use_runs(tmp_path)  # the Overview tells the same story once the run has ended
    page = texts(open_page("overview", "paced"))
    assert "Dispatch slowed during this run" in page
    halved = "once" if pace.decreases == 1 else f"{pace.decreases} times"
    assert f"halved {halved}, down to {pace.lowest_limit} of 10" in page
