"""SLA states at their boundaries, and the ledger-wide summary."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.core.models import Severity
from engine.ledger.models import LifecycleState, RiskAcceptance
from engine.policy.policy import Policy
from engine.policy.sla import SlaPolicy, sla_status, sla_summary
from tests.policy_fixtures import T0, days, entry, event, ledger

S = LifecycleState


@pytest.mark.parametrize(
    ("elapsed_days", "state"),
    [
        (0, "on_track"),
        (22.2, "on_track"),  # 74 % of 30 days
        (22.5, "at_risk"),  # exactly 75 %
        (29.9, "at_risk"),
        (30, "at_risk"),  # exactly due: can still be met this instant
        (30 + 1 / 86400, "breached"),  # one second past due
        (45, "breached"),
    ],
)
def test_open_finding_states_at_the_boundaries(elapsed_days: float, state: str) -> None:
    status = sla_status(T0, Severity.high, days(elapsed_days))
    assert status.state == state
    assert status.due_at == days(30)
    assert status.elapsed_fraction == pytest.approx(elapsed_days / 30)
    assert status.days_left == pytest.approx(30 - elapsed_days)


def test_resolved_findings_are_met_up_to_the_due_date_and_breached_after() -> None:
    now = days(400)
    on_time = sla_status(T0, Severity.critical, now, resolved_at=days(7))
    late = sla_status(T0, Severity.critical, now, resolved_at=days(7) + timedelta(seconds=1))
    assert on_time.state == "met" and on_time.elapsed_fraction == pytest.approx(1.0)
    assert late.state == "breached" and late.days_left < 0
    early = sla_status(T0, Severity.critical, now, resolved_at=days(1))
    assert early.state == "met" and early.days_left == pytest.approx(6)


def test_policy_days_and_fraction_are_used() -> None:
    policy = SlaPolicy(days={Severity.low: 10}, at_risk_fraction=0.5)
    assert sla_status(T0, Severity.low, days(4.9), policy=policy).state == "on_track"
    assert sla_status(T0, Severity.low, days(5), policy=policy).state == "at_risk"
    assert sla_status(T0, Severity.low, days(5), policy=SlaPolicy()).state == "on_track"  # 180 days


def test_naive_datetimes_are_taken_as_utc() -> None:
    naive = T0.replace(tzinfo=None)
    assert sla_status(naive, Severity.critical, days(8)).state == "breached"


def test_summary_groups_entries_using_first_seen_and_the_resolving_event() -> None:
    now = days(40)
    book = ledger(
        entry("track", severity="low"),  # 40 of 180 days
        entry("risk", severity="high", first_seen=days(15)),  # 25 of 30 days
        entry("late", severity="high"),  # 40 of 30 days, still open
        entry("merged", severity="critical", state=S.pr_merged),  # merged is still open
        entry(
            "met",
            severity="critical",
            state=S.verified_fixed,
            last_seen=days(5),
            history=[event(days(2), S.pr_merged), event(days(6), S.verified_fixed, S.pr_merged)],
        ),
        entry(
            "fixed-late",
            severity="critical",
            state=S.fixed,
            last_seen=days(8),
            history=[event(days(9), S.fixed, S.new)],
        ),
        entry("fp", severity="critical", state=S.false_positive, history=[event(days(1), S.false_positive)]),
        entry(
            "accepted",
            severity="critical",
            state=S.risk_accepted,
            risk=RiskAcceptance(
                owner="o", reason="r", accepted_at=T0, expires_at=days(100), accepted_by="admin"
            ),
        ),
        entry(
            "expired",
            severity="critical",
            state=S.risk_accepted,
            risk=RiskAcceptance(owner="o", reason="r", accepted_at=T0, expires_at=days(20), accepted_by="a"),
        ),
    )
    summary = sla_summary(book, Policy(), now)
    assert summary.on_track_fingerprints == ["track"]
    assert summary.at_risk_fingerprints == ["risk"]
    # Ordered by due date: the 7-day criticals first.
    assert summary.breached_fingerprints == ["expired", "fixed-late", "merged", "late"]
    assert summary.met_fingerprints == ["fp", "met"]
    assert (summary.on_track, summary.at_risk, summary.breached, summary.met) == (1, 1, 4, 2)
    # Accepting the risk takes the entry out while the acceptance lasts.
    assert "accepted" not in {
        fp for group in summary.model_dump().values() if isinstance(group, list) for fp in group
    }


def test_summary_falls_back_to_last_seen_without_a_resolving_event() -> None:
    book = ledger(entry("quiet", severity="critical", state=S.fixed, last_seen=days(3)))
    assert sla_summary(book, SlaPolicy(), days(50)).met_fingerprints == ["quiet"]


def test_summary_round_trips_through_json() -> None:
    summary = sla_summary(ledger(entry("a"), entry("b", first_seen=days(-40))), Policy(), T0)
    assert type(summary).model_validate_json(summary.model_dump_json()) == summary
