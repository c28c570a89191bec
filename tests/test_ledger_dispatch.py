"""Claims and outcomes: one run per finding at a time, the global window, cooldowns, resumes."""

from __future__ import annotations

import pytest

from engine.core.errors import BadInputError
from engine.ledger import (
    Claim,
    GlobalBudget,
    Ledger,
    LifecycleState,
    accept_risk,
    active_attempt,
    claim,
    import_scan,
    mark_false_positive,
    record_outcome,
    sessions_in_window,
    set_pull_request_state,
)
from tests.ledger_helpers import at, finding, fp, round_trips

S = LifecycleState
BUDGET = GlobalBudget(limit=100, period_hours=24)
PR = "https://github.com/acme/shop/pull/7"


def _ledger(count: int = 3) -> Ledger:
    ledger = Ledger()
    import_scan(ledger, "s1", "a.sarif", [finding(n) for n in range(1, count + 1)], at(0))
    return ledger


def _claim(n: int, attempt: int = 1) -> Claim:
    return Claim(fingerprint=fp(n), finding_id=f"F-{n}", attempt=attempt)


def test_full_lifecycle_new_to_verified_fixed() -> None:
    ledger = _ledger(2)
    granted = claim(ledger, "r1", [_claim(1)], at(1), BUDGET)
    assert (granted.granted, granted.refused) == ([fp(1)], {})
    entry = ledger.entries[fp(1)]
    assert entry.state == S.dispatched
    assert entry.state_before_dispatch == S.new
    assert active_attempt(entry) == entry.attempts[0]

    record_outcome(ledger, "r1", fp(1), 1, "success", at(2), session_id="devin-1", pr_url=PR, acu=3.5)
    assert (entry.state, entry.pr_url, entry.state_before_dispatch) == (S.pr_open, PR, None)
    assert active_attempt(entry) is None
    done = entry.attempts[0]
    assert (done.outcome, done.ended_at, done.session_id, done.acu) == ("success", at(2), "devin-1", 3.5)

    assert set_pull_request_state(ledger, fp(1), "merged", at(3), "ana@example.com")
    assert entry.state == S.pr_merged

    summary = import_scan(ledger, "s2", "b.sarif", [finding(2)], at(4))
    assert summary.verified_fixed == [fp(1)]
    assert entry.state == S.verified_fixed
    assert [(e.previous, e.state) for e in entry.history] == [
        (None, S.new),
        (S.new, S.dispatched),
        (S.dispatched, S.pr_open),
        (S.pr_open, S.pr_merged),
        (S.pr_merged, S.verified_fixed),
    ]
    assert entry.history[3].actor == "ana@example.com"
    assert round_trips(ledger)


def test_another_runs_active_finding_is_refused_without_an_attempt() -> None:
    ledger = _ledger()
    claim(ledger, "r1", [_claim(1)], at(1), BUDGET)
    result = claim(ledger, "r2", [_claim(1), _claim(2)], at(2), BUDGET)
    assert result.granted == [fp(2)]
    assert result.refused == {fp(1): "in progress in run r1 (attempt 1)"}
    assert [a.run_id for a in ledger.entries[fp(1)].attempts] == ["r1"]
    # Once r1 reports, r2 may take it.
    record_outcome(ledger, "r1", fp(1), 1, "failed", at(3))
    assert claim(ledger, "r2", [_claim(1)], at(4), BUDGET).granted == [fp(1)]


def test_reclaim_by_the_same_run_and_attempt_is_idempotent() -> None:
    ledger = _ledger()
    claim(ledger, "r1", [_claim(1)], at(1), BUDGET)
    before = ledger.model_dump_json()
    again = claim(ledger, "r1", [_claim(1)], at(2), GlobalBudget(limit=1, period_hours=24))
    assert again.granted == [fp(1)]  # even at the limit: it is already counted
    assert ledger.model_dump_json() == before


def test_a_new_attempt_of_the_same_run_closes_the_lost_one() -> None:
    ledger = _ledger()
    claim(ledger, "r1", [_claim(1, attempt=1)], at(1), BUDGET)
    assert claim(ledger, "r1", [_claim(1, attempt=2)], at(2), BUDGET).granted == [fp(1)]
    entry = ledger.entries[fp(1)]
    assert [(a.attempt, a.outcome) for a in entry.attempts] == [(1, "interrupted"), (2, "active")]
    assert entry.state_before_dispatch == S.new
    record_outcome(ledger, "r1", fp(1), 2, "interrupted", at(3))
    assert entry.state == S.new


@pytest.mark.parametrize(
    ("decide", "reason"),
    [
        (lambda led: mark_false_positive(led, fp(1), "ana@example.com", "tests", at(1)), "false positive"),
        (
            lambda led: accept_risk(
                led, fp(1), "team-a", "compensating control", at(500), "ana@example.com", at(1)
            ),
            "risk accepted",
        ),
    ],
)
def test_claims_on_decided_findings_are_refused(decide, reason: str) -> None:  # type: ignore[no-untyped-def]
    ledger = _ledger()
    decide(ledger)
    result = claim(ledger, "r1", [_claim(1)], at(2), BUDGET)
    assert result.granted == []
    assert reason in result.refused[fp(1)]
    assert ledger.entries[fp(1)].attempts == []


def test_claims_on_open_or_unknown_findings_are_refused() -> None:
    ledger = _ledger()
    claim(ledger, "r1", [_claim(1)], at(1), BUDGET)
    record_outcome(ledger, "r1", fp(1), 1, "success", at(2), pr_url=PR)
    result = claim(ledger, "r2", [_claim(1), _claim(99)], at(3), BUDGET)
    assert result.refused == {
        fp(1): f"a pull request is open: {PR}",
        fp(99): "not in the ledger: import the scan that reported it first",
    }


def test_global_window_limit_counts_every_run_and_slides() -> None:
    ledger = _ledger(5)
    budget = GlobalBudget(limit=3, period_hours=24)
    first = claim(ledger, "r1", [_claim(1), _claim(2)], at(1), budget)
    assert first.granted == [fp(1), fp(2)]
    second = claim(ledger, "r2", [_claim(3), _claim(4), _claim(5)], at(2), budget)
    assert second.granted == [fp(3)]
    assert second.refused == {
        fp(4): "global limit reached: 3 sessions in the last 24 h (limit 3)",
        fp(5): "global limit reached: 3 sessions in the last 24 h (limit 3)",
    }
    assert sessions_in_window(ledger, at(2), 24) == 3
    # Finished sessions still count until they leave the window...
    record_outcome(ledger, "r1", fp(1), 1, "failed", at(3))
    assert claim(ledger, "r3", [_claim(4)], at(24), budget).granted == []
    # ...which the two started at hour 1 do after hour 25.
    assert sessions_in_window(ledger, at(25.5), 24) == 1
    assert claim(ledger, "r3", [_claim(4), _claim(5)], at(25.5), budget).granted == [fp(4), fp(5)]


def test_refused_sessions_do_not_count_toward_the_window() -> None:
    ledger = _ledger()
    claim(ledger, "r1", [_claim(1), _claim(2)], at(1), BUDGET)
    record_outcome(ledger, "r1", fp(1), 1, "refused", at(1))
    assert sessions_in_window(ledger, at(2), 24) == 1
    entry = ledger.entries[fp(1)]
    assert (entry.state, entry.failures, entry.cooldown_until) == (S.new, 0, None)


def test_cooldown_schedule_then_human_review() -> None:
    ledger = _ledger()
    entry = ledger.entries[fp(1)]
    expected = [24, 72, 168]
    now = 1.0
    for attempt in range(1, 4):
        assert claim(ledger, "r1", [_claim(1, attempt)], at(now), BUDGET).granted == [fp(1)]
        record_outcome(ledger, "r1", fp(1), attempt, "failed" if attempt != 2 else "timeout", at(now + 1))
        assert entry.failures == attempt
        assert entry.cooldown_until == at(now + 1 + expected[attempt - 1])
        assert entry.state == S.new
        now += 200
    claim(ledger, "r2", [_claim(1, 4)], at(now), BUDGET)
    record_outcome(ledger, "r2", fp(1), 4, "failed", at(now + 1))
    assert (entry.failures, entry.state, entry.cooldown_until) == (4, S.needs_human_review, None)
    assert "4 failed attempts" in entry.history[-1].reason
    refused = claim(ledger, "r3", [_claim(1, 5)], at(now + 500), BUDGET)
    assert refused.refused == {fp(1): "needs human review after repeated failed attempts"}


def test_cooldown_and_limit_are_configurable() -> None:
    ledger = _ledger()
    claim(ledger, "r1", [_claim(1)], at(1), BUDGET)
    record_outcome(ledger, "r1", fp(1), 1, "failed", at(2), cooldown_hours=(2,), max_failures=3)
    assert ledger.entries[fp(1)].cooldown_until == at(4)
    claim(ledger, "r1", [_claim(1, 2)], at(5), BUDGET)
    record_outcome(ledger, "r1", fp(1), 2, "failed", at(6), cooldown_hours=(2,), max_failures=3)
    assert ledger.entries[fp(1)].cooldown_until == at(8)  # the last value repeats
    claim(ledger, "r1", [_claim(1, 3)], at(9), BUDGET)
    record_outcome(ledger, "r1", fp(1), 3, "timeout", at(10), cooldown_hours=(2,), max_failures=3)
    assert ledger.entries[fp(1)].state == S.needs_human_review


def test_success_clears_cooldown_but_keeps_the_failure_count() -> None:
    ledger = _ledger()
    claim(ledger, "r1", [_claim(1)], at(1), BUDGET)
    record_outcome(ledger, "r1", fp(1), 1, "failed", at(2))
    claim(ledger, "r1", [_claim(1, 2)], at(3), BUDGET)
    record_outcome(ledger, "r1", fp(1), 2, "success", at(4), pr_url=PR)
    entry = ledger.entries[fp(1)]
    assert (entry.state, entry.failures, entry.cooldown_until) == (S.pr_open, 1, None)


def test_success_without_pull_request_restores_the_state_with_a_note() -> None:
    ledger = _ledger()
    import_scan(ledger, "s2", "b", [finding(2)], at(1))
    import_scan(ledger, "s3", "c", [finding(1), finding(2)], at(2))
    entry = ledger.entries[fp(1)]
    assert entry.state == S.recurring
    claim(ledger, "r1", [_claim(1)], at(3), BUDGET)
    record_outcome(ledger, "r1", fp(1), 1, "success", at(4))
    assert (entry.state, entry.note, entry.pr_url) == (
        S.recurring,
        "agent finished without a pull request",
        None,
    )


def test_interrupted_restores_the_state_before_dispatch_without_a_failure() -> None:
    ledger = _ledger()
    claim(ledger, "r1", [_claim(1)], at(1), BUDGET)
    record_outcome(ledger, "r1", fp(1), 1, "success", at(2), pr_url=PR)
    set_pull_request_state(ledger, fp(1), "closed", at(3), "bob@example.com")
    entry = ledger.entries[fp(1)]
    assert entry.state == S.pr_closed_unmerged
    claim(ledger, "r2", [_claim(1)], at(4), BUDGET)
    record_outcome(ledger, "r2", fp(1), 1, "interrupted", at(5))
    assert (entry.state, entry.failures, entry.cooldown_until) == (S.pr_closed_unmerged, 0, None)


def test_record_outcome_is_idempotent_once_ended() -> None:
    ledger = _ledger()
    claim(ledger, "r1", [_claim(1)], at(1), BUDGET)
    record_outcome(ledger, "r1", fp(1), 1, "failed", at(2))
    before = ledger.model_dump_json()
    record_outcome(ledger, "r1", fp(1), 1, "failed", at(3))
    record_outcome(ledger, "r1", fp(1), 1, "success", at(3), pr_url=PR)
    assert ledger.model_dump_json() == before


def test_outcome_after_a_human_decision_keeps_the_decision() -> None:
    ledger = _ledger()
    claim(ledger, "r1", [_claim(1)], at(1), BUDGET)
    mark_false_positive(ledger, fp(1), "ana@example.com", "dead code", at(2))
    record_outcome(ledger, "r1", fp(1), 1, "success", at(3), pr_url=PR)
    entry = ledger.entries[fp(1)]
    assert entry.state == S.false_positive
    assert entry.attempts[0].outcome == "success"
    assert entry.attempts[0].pr_url == PR


def test_record_outcome_bad_input() -> None:
    ledger = _ledger()
    claim(ledger, "r1", [_claim(1)], at(1), BUDGET)
    with pytest.raises(BadInputError, match="no attempt 2 of run 'r1'"):
        record_outcome(ledger, "r1", fp(1), 2, "failed", at(2))
    with pytest.raises(BadInputError, match="'active' does not end an attempt"):
        record_outcome(ledger, "r1", fp(1), 1, "active", at(2))
    with pytest.raises(BadInputError, match="is not in the ledger"):
        record_outcome(ledger, "r1", fp(77), 1, "failed", at(2))
    with pytest.raises(BadInputError, match="timezone-aware"):
        record_outcome(ledger, "r1", fp(1), 1, "failed", at(2).replace(tzinfo=None))


def test_retry_rules_are_defined_once() -> None:
    """The policy file's defaults are the ledger's: one cooldown schedule, one attempt limit."""
    from engine.ledger import DEFAULT_COOLDOWN_HOURS, DEFAULT_MAX_ATTEMPTS, cooldown_after
    from engine.policy import Policy

    policy = Policy()
    assert policy.max_attempts == DEFAULT_MAX_ATTEMPTS
    assert tuple(policy.cooldown_hours) == DEFAULT_COOLDOWN_HOURS
    for failures in range(1, 6):
        assert policy.cooldown_after(failures) == cooldown_after(DEFAULT_COOLDOWN_HOURS, failures)
