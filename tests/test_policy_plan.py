"""The cross-run plan: ledger gates, cooldowns, attempt caps, budgets, duplicates, order."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from engine.core.models import Finding, FindingCategory, Severity
from engine.ledger import sessions_in_window
from engine.ledger.models import Ledger, LedgerEntry, LifecycleState, RiskAcceptance
from engine.policy.gates import SkipReason
from engine.policy.objectives import Objective
from engine.policy.plan import CrossRunPlan, plan_across_runs
from engine.policy.policy import Policy
from engine.policy.services import ServiceCatalog, ServiceProfile
from tests.policy_fixtures import T0, attempt, days, entry, finding, hours, ledger

S = LifecycleState
NO_SERVICES = ServiceCatalog()


def plan(
    findings: list[Finding],
    book: Ledger,
    now: datetime = T0,
    policy: Policy | None = None,
    services: ServiceCatalog = NO_SERVICES,
    acu: float | None = None,
) -> CrossRunPlan:
    return plan_across_runs(findings, book, services, policy or Policy(), now, acu)


def selected_ids(result: CrossRunPlan) -> list[str]:
    return [item.finding.finding_id for item in result.selected]


def skip_of(result: CrossRunPlan, finding_id: str) -> tuple[SkipReason, str]:
    (found,) = [item for item in result.skipped if item.finding_id == finding_id]
    return found.reason, found.detail


def failed_entry(failures: int, last_end: datetime = T0, **extra: Any) -> LedgerEntry:
    """An entry whose `failures` failed attempts ended one a day, the last at `last_end`."""
    attempts = [
        attempt(run_id=f"r-{n}", n=n, outcome="failed", started=started - timedelta(hours=1), ended=started)
        for n, started in ((n, last_end - timedelta(days=failures - n)) for n in range(1, failures + 1))
    ]
    state = extra.pop("state", S.needs_human_review if failures >= 4 else S.recurring)
    return entry("fp", state=state, failures=failures, attempts=attempts, **extra)


def test_unknown_findings_are_new_and_plannable() -> None:
    result = plan([finding("F-1", "aaa"), finding("F-2", None)], ledger())
    assert sorted(selected_ids(result)) == ["F-1", "F-2"]
    assert result.skipped == []


@pytest.mark.parametrize(
    ("failures", "blocked_at", "open_at"),
    [(1, 23, 25), (2, 71, 73), (3, 167, 169)],
)
def test_cooldown_windows_hold_after_each_failure(failures: int, blocked_at: float, open_at: float) -> None:
    book = ledger(failed_entry(failures))
    waiting = plan([finding("F-1", "fp")], book, now=hours(blocked_at))
    reason, detail = skip_of(waiting, "F-1")
    assert reason == SkipReason.cooldown
    until = (T0 + timedelta(hours={1: 24, 2: 72, 3: 168}[failures])).strftime("%Y-%m-%d %H:%M UTC")
    plural = "attempt" if failures == 1 else "attempts"
    assert detail == f"cooldown until {until} after {failures} failed {plural}"
    assert selected_ids(plan([finding("F-1", "fp")], book, now=hours(open_at))) == ["F-1"]


def test_cooldown_detail_reads_like_the_spec() -> None:
    result = plan([finding("F-1", "fp")], ledger(failed_entry(1)), now=hours(2))
    assert skip_of(result, "F-1")[1] == "cooldown until 2026-11-02 12:00 UTC after 1 failed attempt"


def test_cooldown_ends_exactly_at_the_boundary() -> None:
    book = ledger(failed_entry(1))
    assert selected_ids(plan([finding("F-1", "fp")], book, now=hours(24))) == ["F-1"]


def test_the_ledgers_own_cooldown_until_is_respected_when_later() -> None:
    book = ledger(failed_entry(1, cooldown_until=hours(50)))
    reason, detail = skip_of(plan([finding("F-1", "fp")], book, now=hours(30)), "F-1")
    assert reason == SkipReason.cooldown and "2026-11-03 14:00 UTC" in detail


def test_policy_cooldown_hours_are_used() -> None:
    book = ledger(failed_entry(1))
    policy = Policy(cooldown_hours=[2])
    assert selected_ids(plan([finding("F-1", "fp")], book, now=hours(3), policy=policy)) == ["F-1"]


def test_fourth_failure_needs_a_human_and_policy_caps_attempts() -> None:
    reason, detail = skip_of(plan([finding("F-1", "fp")], ledger(failed_entry(4)), now=days(60)), "F-1")
    assert reason == SkipReason.too_many_attempts
    assert detail == "4 failed attempts (limit 4); needs a human"
    # A stricter policy stops earlier, whatever state the ledger left the entry in.
    strict = Policy(max_attempts=2)
    reason, _ = skip_of(
        plan([finding("F-1", "fp")], ledger(failed_entry(2)), now=days(60), policy=strict), "F-1"
    )
    assert reason == SkipReason.too_many_attempts
    assert selected_ids(plan([finding("F-1", "fp")], ledger(failed_entry(2)), now=days(60))) == ["F-1"]


def test_a_human_flag_without_failures_is_its_own_reason() -> None:
    book = ledger(entry("fp", state=S.needs_human_review, note="check with the owner"))
    assert skip_of(plan([finding("F-1", "fp")], book), "F-1") == (
        SkipReason.needs_human_review,
        "flagged for human review: check with the owner",
    )


def test_lifecycle_states_block_with_readable_details() -> None:
    risk = RiskAcceptance(
        owner="alice", reason="legacy", accepted_at=T0, expires_at=days(30), accepted_by="bob"
    )
    book = ledger(
        entry("active", state=S.dispatched, attempts=[attempt("r-123", 2, outcome="active")]),
        entry("pr", state=S.pr_open, pr_url="https://github.com/o/r/pull/7"),
        entry("merged", state=S.pr_merged, pr_url="https://github.com/o/r/pull/8"),
        entry("verified", state=S.verified_fixed),
        entry("fp", state=S.false_positive, note="test fixture"),
        entry("risk", state=S.risk_accepted, risk=risk),
        entry("fixed", state=S.fixed),
        entry("closed", state=S.pr_closed_unmerged),
        entry("recurring", state=S.recurring),
    )
    names = ["active", "pr", "merged", "verified", "fp", "risk", "fixed", "closed", "recurring"]
    result = plan([finding(f"F-{name}", name) for name in names], book, now=days(1))
    assert sorted(selected_ids(result)) == ["F-closed", "F-fixed", "F-recurring"]
    assert skip_of(result, "F-active") == (SkipReason.active_session, "in progress in run r-123 (attempt 2)")
    assert skip_of(result, "F-pr") == (SkipReason.open_pr, "open PR https://github.com/o/r/pull/7")
    assert skip_of(result, "F-merged")[0] == SkipReason.merged_awaiting_verification
    assert "pull/8" in skip_of(result, "F-merged")[1]
    assert skip_of(result, "F-verified")[0] == SkipReason.verified_fixed
    assert skip_of(result, "F-fp") == (SkipReason.false_positive, "marked false positive: test fixture")
    assert skip_of(result, "F-risk") == (
        SkipReason.risk_accepted,
        "risk accepted by alice until 2026-12-01 12:00 UTC: legacy",
    )
    # An expired acceptance no longer blocks, even before expire_risks has run.
    assert "F-risk" in selected_ids(plan([finding("F-risk", "risk")], book, now=days(31)))


def test_state_reasons_come_before_cooldown_and_budgets() -> None:
    busy = failed_entry(1, state=S.pr_open, pr_url="https://x/pull/1")
    policy = Policy(global_session_limit=0)
    result = plan([finding("F-1", "fp"), finding("F-2", "other")], ledger(busy), now=hours(1), policy=policy)
    assert skip_of(result, "F-1")[0] == SkipReason.open_pr
    assert skip_of(result, "F-2")[0] == SkipReason.global_limit
    cooling = ledger(failed_entry(1))
    assert (
        skip_of(plan([finding("F-1", "fp")], cooling, now=hours(1), policy=policy), "F-1")[0]
        == SkipReason.cooldown
    )


def test_global_limit_counts_other_runs_sessions_within_the_period_only() -> None:
    now = days(10)
    recent = [attempt(f"r-{i}", outcome="success", started=now - timedelta(hours=23)) for i in range(17)]
    old = [attempt("r-old", outcome="failed", started=now - timedelta(hours=25)) for _ in range(5)]
    edge = [
        attempt("r-edge", outcome="success", started=now - timedelta(hours=24))
    ]  # window is (now-24h, now]
    refused = [attempt("r-x", outcome="refused", started=now - timedelta(hours=1))]
    book = ledger(entry("busy", state=S.pr_open, attempts=recent + old + edge + refused))
    assert sessions_in_window(book, now, 24) == 17
    findings = [finding(f"F-{i}", f"fp-{i}") for i in range(5)]
    result = plan(findings, book, now=now)
    assert selected_ids(result) == ["F-0", "F-1", "F-2"]
    assert [item.reason for item in result.skipped] == [SkipReason.global_limit] * 2
    assert (
        "global limit of 20 sessions per 24 h reached (17 started by earlier runs" in result.skipped[0].detail
    )
    assert (
        result.budget.global_limit,
        result.budget.global_used_before,
        result.budget.global_remaining_after,
    ) == (
        20,
        17,
        0,
    )
    # A day later the old sessions have left the window.
    assert len(plan(findings, book, now=now + timedelta(days=1)).selected) == 5


def test_critical_findings_exceed_the_service_cap_but_never_the_global_limit() -> None:
    findings = [
        *(finding(f"C-{i}", f"c{i}", severity="critical", service="API") for i in range(3)),
        *(finding(f"H-{i}", f"h{i}", severity="high", service="api") for i in range(2)),
        finding("W-1", "w1", severity="high", service="web"),
    ]
    policy = Policy(per_service_cap=1)
    result = plan(findings, ledger(), policy=policy)
    assert selected_ids(result) == ["C-0", "C-1", "C-2", "W-1"]
    assert skip_of(result, "H-0") == (
        SkipReason.service_cap,
        "api already has 1 sessions in this run (cap 1)",
    )
    tight = Policy(per_service_cap=1, global_session_limit=2)
    result = plan(findings, ledger(), policy=tight)
    assert selected_ids(result) == ["C-0", "C-1"]
    assert skip_of(result, "C-2")[0] == SkipReason.global_limit
    assert skip_of(result, "W-1")[0] == SkipReason.global_limit  # the global check comes first


def test_a_services_own_cap_overrides_the_policy_cap() -> None:
    services = ServiceCatalog(profiles=(ServiceProfile(name="api", max_sessions_per_run=2),))
    findings = [finding(f"H-{i}", f"h{i}", service="api") for i in range(4)]
    result = plan(findings, ledger(), policy=Policy(per_service_cap=1), services=services)
    assert selected_ids(result) == ["H-0", "H-1"]
    assert {item.reason for item in result.skipped} == {SkipReason.service_cap}


def test_acu_budget_caps_selected_times_max_acu() -> None:
    findings = [finding(f"F-{i}", f"fp{i}") for i in range(4)]
    policy = Policy(acu_budget_per_run=10)
    result = plan(findings, ledger(), policy=policy, acu=4)
    assert selected_ids(result) == ["F-0", "F-1"]
    assert skip_of(result, "F-2") == (
        SkipReason.acu_budget,
        "its 4 ACU cap on top of the 8 ACU planned for 2 session(s) would exceed the run's budget of 10 ACU",
    )
    assert (result.budget.acu_budget, result.budget.acu_planned) == (10, 8)
    assert len(plan(findings, ledger(), policy=policy, acu=None).selected) == 4  # no cap known: no ACU check
    assert len(plan(findings, ledger(), acu=4).selected) == 4  # no budget


def test_duplicates_in_one_upload_keep_the_best_scored() -> None:
    services = ServiceCatalog(profiles=(ServiceProfile(name="payments", importance=100),))
    findings = [
        finding("F-9", "same", service="wiki"),
        finding("F-2", "same", service="payments"),
        finding("F-1", "same", service="wiki"),
    ]
    result = plan(findings, ledger(), services=services)
    assert selected_ids(result) == ["F-2"]
    assert [(item.finding_id, item.reason) for item in result.skipped] == [
        ("F-1", SkipReason.duplicate),
        ("F-9", SkipReason.duplicate),
    ]
    assert result.skipped[0].detail.startswith("same fingerprint as F-2")


def test_selection_is_ordered_by_score_then_finding_id() -> None:
    findings = [
        finding("F-3", "c", severity="low"),
        finding("F-2", "b", severity="critical"),
        finding("F-10", "a", severity="critical"),
    ]
    result = plan(findings, ledger())
    assert selected_ids(result) == ["F-10", "F-2", "F-3"]  # string order on ties
    totals = [item.score.total for item in result.selected]
    assert totals == sorted(totals, reverse=True)


def test_unmet_objectives_boost_the_findings_that_serve_them() -> None:
    objective = Objective(id="no-sqli", category=FindingCategory.sql_injection)
    policy = Policy(objectives=[objective], global_session_limit=1)
    findings = [finding("A", "a", category="xss"), finding("B", "b", category="sql_injection")]
    open_sqli = ledger(entry("old", category="sql_injection", severity=Severity.low), imports=[T0])
    result = plan(findings, open_sqli, policy=policy)
    assert selected_ids(result) == ["B"]
    assert result.selected[0].score.objective_boost == 10.0
    assert result.objectives[0].objective_id == "no-sqli" and not result.objectives[0].met
    # Met objective: no boost, so the tie goes to the lower finding id.
    met = ledger(entry("old", category="sql_injection", state=S.fixed), imports=[T0])
    result = plan(findings, met, policy=policy)
    assert selected_ids(result) == ["A"] and result.objectives[0].met


def test_plan_round_trips_through_json() -> None:
    result = plan([finding("F-1", "fp"), finding("F-2", "fp")], ledger(failed_entry(1)), now=hours(1))
    assert CrossRunPlan.model_validate_json(result.model_dump_json()) == result
    assert result.skipped_by_reason() == {SkipReason.cooldown: 1, SkipReason.duplicate: 1}
