"""Human decisions: false positives, accepted risks that expire, reopening."""

from __future__ import annotations

import pytest

from engine.core.errors import BadInputError
from engine.ledger import (
    Claim,
    GlobalBudget,
    Ledger,
    LifecycleState,
    accept_risk,
    claim,
    expire_risks,
    import_scan,
    mark_false_positive,
    record_outcome,
    reopen,
)
from tests.ledger_helpers import at, finding, fp, round_trips

S = LifecycleState
ANA = "ana@example.com"


def _ledger() -> Ledger:
    ledger = Ledger()
    import_scan(ledger, "s1", "a.sarif", [finding(1), finding(2)], at(0))
    return ledger


def test_false_positive_records_who_and_why() -> None:
    ledger = _ledger()
    entry = mark_false_positive(ledger, fp(1), ANA, "  only in test fixtures ", at(1))
    assert entry.state == S.false_positive
    assert entry.note == "only in test fixtures"
    event = entry.history[-1]
    assert (event.previous, event.state, event.actor, event.at) == (S.new, S.false_positive, ANA, at(1))
    assert "only in test fixtures" in event.reason


def test_risk_acceptance_reopens_at_expiry() -> None:
    ledger = _ledger()
    entry = accept_risk(ledger, fp(1), "payments-team", "WAF rule covers it", at(48), ANA, at(1))
    assert entry.state == S.risk_accepted
    assert entry.risk is not None
    assert entry.risk.model_dump() == {
        "owner": "payments-team",
        "reason": "WAF rule covers it",
        "accepted_at": at(1),
        "expires_at": at(48),
        "accepted_by": ANA,
    }
    assert round_trips(ledger)
    # Scans do not reactivate it, present or absent.
    import_scan(ledger, "s2", "b.sarif", [finding(1), finding(2)], at(10))
    import_scan(ledger, "s3", "c.sarif", [finding(2)], at(11))
    assert entry.state == S.risk_accepted
    assert expire_risks(ledger, at(47.9)) == []
    assert entry.state == S.risk_accepted
    assert expire_risks(ledger, at(48)) == [fp(1)]
    assert (entry.state, entry.risk) == (S.recurring, None)
    assert entry.history[-1].reason == "risk acceptance expired (owner payments-team)"
    assert entry.history[-1].actor is None
    assert expire_risks(ledger, at(49)) == []


def test_reopen_returns_decisions_to_work() -> None:
    ledger = _ledger()
    mark_false_positive(ledger, fp(1), ANA, "test code", at(1))
    accept_risk(ledger, fp(2), "team", "low exposure", at(100), ANA, at(1))
    for n in (1, 2):
        entry = reopen(ledger, fp(n), "bob@example.com", "it is reachable after all", at(2))
        assert (entry.state, entry.note, entry.risk) == (S.recurring, None, None)
        assert entry.history[-1].actor == "bob@example.com"
        assert entry.history[-1].reason == "reopened: it is reachable after all"


def test_only_decisions_can_be_reopened() -> None:
    ledger = _ledger()
    with pytest.raises(
        BadInputError,
        match="is new; only a false positive, an accepted risk or a finding that needs human review",
    ):
        reopen(ledger, fp(1), ANA, "why not", at(1))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda led: mark_false_positive(led, fp(1), ANA, "  ", at(1)),
            "a reason for the false positive is required",
        ),
        (lambda led: mark_false_positive(led, fp(1), "", "fine", at(1)), "actor is required"),
        (lambda led: accept_risk(led, fp(1), "team", "", at(9), ANA, at(1)), "reason for accepting"),
        (lambda led: accept_risk(led, fp(1), "", "why", at(9), ANA, at(1)), "the risk owner is required"),
        (lambda led: accept_risk(led, fp(1), "team", "why", at(1), ANA, at(1)), "must be in the future"),
        (lambda led: accept_risk(led, fp(1), "team", "why", at(0), ANA, at(1)), "must be in the future"),
        (lambda led: reopen(led, fp(1), ANA, "", at(1)), "a reason for reopening is required"),
        (lambda led: mark_false_positive(led, "feedface" * 2, ANA, "x", at(1)), "'feedfacefeedface'"),
        (lambda led: expire_risks(led, at(1).replace(tzinfo=None)), "timezone-aware"),
    ],
)
def test_bad_decisions_are_bad_input_and_change_nothing(call, message: str) -> None:  # type: ignore[no-untyped-def]
    ledger = _ledger()
    before = ledger.model_dump_json()
    with pytest.raises(BadInputError, match=message):
        call(ledger)
    assert ledger.model_dump_json() == before


def test_a_reviewed_finding_gets_a_new_round_of_attempts() -> None:
    ledger = _ledger()
    budget = GlobalBudget(limit=100, period_hours=24)
    for attempt in range(1, 5):  # four failed attempts: needs a human
        claim(
            ledger, "r1", [Claim(fingerprint=fp(1), finding_id="F-1", attempt=attempt)], at(attempt), budget
        )
        record_outcome(ledger, "r1", fp(1), attempt, "failed", at(attempt + 0.5))
    entry = ledger.entries[fp(1)]
    assert entry.state == S.needs_human_review and entry.failures == 4
    reopen(ledger, fp(1), ANA, "the test fixture was broken; fixed it", at(10))
    assert entry.state == S.recurring and entry.failures == 0 and entry.cooldown_until is None
    assert len(entry.attempts) == 4  # the history stays
    assert entry.history[-1].actor == ANA and "fixture" in entry.history[-1].reason
