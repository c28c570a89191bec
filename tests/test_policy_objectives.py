"""Objective progress over the ledger: baselines, targets, what counts as open, and `serves`."""

from __future__ import annotations

from engine.core.models import FindingCategory, Severity
from engine.ledger.models import LifecycleState, RiskAcceptance
from engine.policy.objectives import Objective, objective_progress, serves, unmet_objectives
from tests.policy_fixtures import T0, days, entry, finding, ledger

S = LifecycleState
NO_CRITICAL = Objective(id="no-critical", title="No critical findings", severity=Severity.critical)
HALVE_HIGH = Objective(id="halve-high", kind="reduce", severity=Severity.high, fraction=0.5)


def test_eliminate_counts_every_open_state_including_merged_until_verified() -> None:
    book = ledger(
        *(
            entry(f"open-{state}", severity="critical", state=state)
            for state in (S.new, S.pr_merged, S.dispatched)
        ),
        entry("done", severity="critical", state=S.verified_fixed),
        entry("gone", severity="critical", state=S.fixed),
        entry("high", severity="high"),
        imports=[T0],
    )
    progress = objective_progress(NO_CRITICAL, book, days(1))
    assert (progress.current, progress.target, progress.baseline) == (3, 0, 5)
    assert progress.baseline_source == "first_import"
    assert not progress.met
    assert progress.pct == 40.0  # 2 of 5 gone


def test_eliminate_is_met_at_zero_open() -> None:
    book = ledger(entry("done", severity="critical", state=S.verified_fixed), imports=[T0])
    progress = objective_progress(NO_CRITICAL, book, days(1))
    assert progress.met and progress.current == 0 and progress.pct == 100.0


def test_reduce_derives_the_baseline_from_the_first_import_not_later_findings() -> None:
    at_start = [entry(f"h{i}", first_seen=T0) for i in range(6)]
    later = [entry(f"late{i}", first_seen=days(3)) for i in range(4)]
    for item in at_start[:3]:
        item.state = S.verified_fixed
    book = ledger(*at_start, *later, imports=[days(3), T0])  # imports out of order: earliest wins
    progress = objective_progress(HALVE_HIGH, book, days(5))
    # Baseline 6 (known at the first import), target 3; open now: 3 old + 4 new = 7.
    assert (progress.baseline, progress.target, progress.current) == (6, 3, 7)
    assert not progress.met and progress.pct == 0.0
    for item in later:
        item.state = S.fixed
    progress = objective_progress(HALVE_HIGH, book, days(5))
    assert progress.current == 3 and progress.met and progress.pct == 100.0


def test_reduce_target_rounds_down_and_configured_baseline_wins() -> None:
    book = ledger(*(entry(f"h{i}") for i in range(5)), imports=[T0])
    configured = HALVE_HIGH.model_copy(update={"baseline": 7})
    progress = objective_progress(configured, book, days(1))
    assert (progress.baseline, progress.target, progress.baseline_source) == (7, 3, "configured")
    assert progress.current == 5 and not progress.met
    assert progress.pct == 50.0  # 2 of the 4 needed
    seventy = Objective(id="x", kind="reduce", fraction=0.7, baseline=10)
    assert objective_progress(seventy, ledger(), T0).target == 3  # 10 * 0.3, not 2.999...


def test_false_positives_and_accepted_risks_count_neither_as_open_nor_in_the_baseline() -> None:
    risk = RiskAcceptance(owner="o", reason="r", accepted_at=T0, expires_at=days(10), accepted_by="a")
    book = ledger(
        entry("real", severity="critical"),
        entry("fp", severity="critical", state=S.false_positive),
        entry("accepted", severity="critical", state=S.risk_accepted, risk=risk),
        imports=[T0],
    )
    progress = objective_progress(NO_CRITICAL, book, days(1))
    assert (progress.current, progress.baseline) == (1, 1)
    # Once the acceptance expires the finding is open again, even before expire_risks runs.
    progress = objective_progress(NO_CRITICAL, book, days(11))
    assert (progress.current, progress.baseline) == (2, 2)


def test_ledger_without_imports_uses_the_earliest_first_seen() -> None:
    book = ledger(entry("a", first_seen=days(1)), entry("b", first_seen=days(2)))
    assert objective_progress(HALVE_HIGH, book, days(3)).baseline == 1
    assert objective_progress(HALVE_HIGH, ledger(), days(3)).baseline == 0


def test_serves_matches_severity_and_category_on_findings_and_entries() -> None:
    sqli_high = Objective(id="s", severity=Severity.high, category=FindingCategory.sql_injection)
    any_xss = Objective(id="x", category=FindingCategory.xss)
    everything = Objective(id="all")
    assert serves(sqli_high, finding("F", severity="high", category="sql_injection"))
    assert not serves(sqli_high, finding("F", severity="critical", category="sql_injection"))
    assert not serves(sqli_high, entry("e", severity="high", category="xss"))
    assert serves(any_xss, entry("e", severity="low", category="xss"))
    assert serves(everything, finding("F", severity="low", category="other"))


def test_unmet_objectives_skips_met_and_inactive_ones() -> None:
    inactive = Objective(id="off", severity=Severity.high, active=False)
    book = ledger(entry("h"), imports=[T0])
    assert unmet_objectives([NO_CRITICAL, HALVE_HIGH, inactive], book, days(1)) == [HALVE_HIGH]
