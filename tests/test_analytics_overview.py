"""Overview cards, wave progress, the merged timeline and recent sessions."""

from __future__ import annotations

import math

from engine.analytics.overview import overview_cards, recent_sessions, timeline, wave_progress
from engine.core.models import RunStatus
from tests.analytics_fixtures import at, decision, event, finding, run, session, wave

PR = "https://github.com/acme/api/pull/1"


def sample_run():
    """max_retries 1. F1 fixed; F2 failed twice (attempt 2 > max_retries: failed for good);
    F3 working; F4 timed out on attempt 1 (will retry: open); F5 never dispatched."""
    return run(
        findings=[
            finding("F1", "critical", rank=1),
            finding("F2", "high", rank=2),
            finding("F3", "high", rank=3),
            finding("F4", "medium", rank=4),
            finding("F5", "medium", rank=5),
        ],
        sessions=[
            session("F1", status="success", start=0, end=100, pr=PR),
            session("F2", 1, "failed", start=0, end=50),
            session("F2", 2, "failed", start=60, end=120),
            session("F3", status="working", start=200, wave=2),
            session("F4", status="timeout", start=200, end=400, wave=2),
        ],
        waves=[wave(1, ["F1", "F2"], "completed", 0, 130), wave(2, ["F3", "F4", "F5"], "running", 130)],
    )


def test_overview_cards_count_sessions_and_findings() -> None:
    cards = overview_cards(sample_run(), {})
    assert cards.findings == 5
    assert cards.by_severity == {"critical": 1, "high": 2, "medium": 2, "low": 0}
    a = cards.attempts  # session attempts, a figure of their own
    assert (a.sessions, a.active, a.succeeded, a.failed) == (5, 1, 1, 3)  # F2 twice + F4 timed out
    assert cards.pending_reviews == 1  # F1's PR, undecided
    o = cards.outcomes  # finding outcomes: F1's PR awaits review, F2 failed, F3-F5 open
    assert (o.fixed, o.awaiting_review, o.failed, o.held_back, o.open) == (0, 1, 1, 0, 3)
    assert o.fixed + o.awaiting_review + o.failed + o.held_back + o.open == cards.findings
    assert cards.fix_rate == 0.0  # an unreviewed PR is not a fix


def test_overview_cards_pending_reviews_drop_once_decided() -> None:
    d = decision("F1", 1, "approved")
    cards = overview_cards(sample_run(), {d.key: d})
    assert cards.pending_reviews == 0
    assert (cards.outcomes.fixed, cards.outcomes.awaiting_review, cards.fix_rate) == (1, 0, 0.5)


def test_a_rejected_pull_request_is_a_failed_finding_not_a_fix() -> None:
    d = decision("F1", 1, "rejected")
    o = overview_cards(sample_run(), {d.key: d}).outcomes
    assert (o.fixed, o.awaiting_review, o.failed, o.rejected) == (0, 0, 2, 1)


def test_overview_cards_of_an_empty_run() -> None:
    cards = overview_cards(run(), {})
    assert cards.findings == 0
    assert cards.by_severity == {"critical": 0, "high": 0, "medium": 0, "low": 0}
    assert (cards.attempts.active, cards.attempts.succeeded, cards.attempts.failed) == (0, 0, 0)
    assert cards.pending_reviews == 0
    assert cards.fix_rate is None


def test_wave_progress_counts_latest_sessions() -> None:
    first, second = wave_progress(sample_run())
    # wave 1 closed: F1 succeeded, F2 failed -> 2 of 2 done
    assert (first.number, first.status, first.findings) == (1, "completed", 2)
    assert (first.awaiting_review, first.failed, first.in_flight, first.done_fraction) == (1, 1, 0, 1.0)
    # wave 2 running: F3 working (in flight), F4 timed out but will retry (open), F5 untouched
    assert (second.number, second.status, second.findings) == (2, "running", 3)
    assert (second.fixed, second.failed, second.in_flight, second.done_fraction) == (0, 0, 1, 0.0)


def test_a_closed_wave_counts_every_unfixed_finding_as_failed() -> None:
    r = run(
        findings=[finding("A"), finding("B"), finding("C"), finding("D")],
        sessions=[
            session("A", status="success", start=0, end=10, pr=PR),
            session("B", status="timeout", start=0, end=10),  # retryable, yet the wave closed
            session("C", status="success", start=0, end=10, pr=PR),
        ],
        waves=[wave(1, ["A", "B", "C", "D"], "gated", 0, 20), wave(2, [], "pending")],
    )
    gated, empty = wave_progress(r)
    # 2 fixed; the other 2 (B open by the retry rule, D never dispatched) count as failed
    assert (gated.awaiting_review, gated.failed, gated.in_flight, gated.done_fraction) == (2, 2, 0, 1.0)
    assert (empty.findings, empty.done_fraction) == (0, 0.0)  # no division by zero


def test_wave_progress_fraction_while_running() -> None:
    r = run(
        findings=[finding("A"), finding("B"), finding("C"), finding("D")],
        sessions=[
            session("A", status="success", start=0, end=10, pr=PR),
            session("B", status="pending", start=None),
            session("C", status="blocked", start=0),
        ],
        waves=[wave(1, ["A", "B", "C", "D"], "running", 0)],
    )
    (w,) = wave_progress(r)
    # 1 of 4 decided; B pending and C blocked are in flight
    assert (w.awaiting_review, w.failed, w.in_flight, w.done_fraction) == (1, 0, 2, 0.25)


def test_no_wave_says_running_once_the_run_is_stopped() -> None:
    r = sample_run()
    assert [w.status for w in wave_progress(r)] == ["completed", "running"]
    r.status = RunStatus.interrupted  # Stop: the engine left wave 2 marked running
    assert [w.status for w in wave_progress(r)] == ["completed", "stopped"]
    assert [w.status for w in wave_progress(sample_run(), run_status="crashed")] == ["completed", "stopped"]
    r.status = RunStatus.paused
    assert [w.status for w in wave_progress(r)] == ["completed", "paused"]


def test_timeline_merges_events_and_reviews_newest_first() -> None:
    events = [
        event(0, "run_started", "Run started"),
        event(10, "session_dispatched", "F1 dispatched", fid="F1", attempt=1, session_id="devin-F1-1"),
        event(30, "session_completed", "F1 fixed", fid="F1", attempt=1, session_id="devin-F1-1"),
    ]
    reviews = [
        decision("F1", 1, "approved", seconds=20, reviewer="alice", reason="looks good"),
        decision("F1", 1, "rejected", seconds=40, reviewer="bob"),
    ]
    items = timeline(events, reviews)
    assert [(i.ts, i.kind, i.source) for i in items] == [
        (at(40), "review_rejected", "review"),
        (at(30), "session_completed", "engine"),
        (at(20), "review_approved", "review"),
        (at(10), "session_dispatched", "engine"),
        (at(0), "run_started", "engine"),
    ]
    assert items[0].message == "bob rejected F1 (attempt 1)"
    assert items[2].message == "alice approved F1 (attempt 1): looks good"
    assert (items[2].finding_id, items[2].session_id) == ("F1", "devin-F1-1")
    assert [i.kind for i in timeline(events, reviews, limit=2)] == ["review_rejected", "session_completed"]
    assert timeline(events, reviews, limit=0) == []
    assert timeline([], []) == []


def test_timeline_ties_put_the_later_input_first() -> None:
    events = [event(5, "wave_started", "first"), event(5, "wave_completed", "second")]
    reviews = [decision("F1", seconds=5)]
    assert [i.kind for i in timeline(events, reviews)] == [
        "review_approved",
        "wave_completed",
        "wave_started",
    ]


def test_recent_sessions_newest_update_first_with_agent_durations() -> None:
    r = run(
        findings=[finding("A"), finding("B"), finding("C")],
        sessions=[
            session("A", status="success", start=0, end=100, pr=PR),  # last touched at 100
            session("B", status="working", start=50, updated=300),  # last touched at 300
            session("C", status="pending", start=None),  # intent at T0 (0)
        ],
        speed=2,
    )
    table = recent_sessions(r, now=at(400))
    assert list(table.columns) == [
        "finding_id",
        "attempt",
        "status",
        "updated",
        "duration_s",
        "pull_request_url",
    ]
    assert list(table["finding_id"]) == ["B", "A", "C"]
    assert list(table["updated"]) == [at(300), at(100), at(0)]
    # B: (now 400 - 50) × speed 2 = 700; A: (100 - 0) × 2 = 200; C: never dispatched -> NaN
    assert table["duration_s"].iloc[0] == 700.0
    assert table["duration_s"].iloc[1] == 200.0
    assert math.isnan(table["duration_s"].iloc[2])
    assert table["pull_request_url"].iloc[1] == PR
    assert list(recent_sessions(r, now=at(400), limit=1)["finding_id"]) == ["B"]


def test_recent_sessions_of_an_empty_run() -> None:
    table = recent_sessions(run(), now=at(0))
    assert table.empty
    assert list(table.columns) == [
        "finding_id",
        "attempt",
        "status",
        "updated",
        "duration_s",
        "pull_request_url",
    ]
