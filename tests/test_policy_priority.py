"""The cross-run score: every part in points, parts add up, objective boost, fix rates."""

from __future__ import annotations

import pytest

from engine.core.models import FindingCategory, PriorityScore, Severity
from engine.ledger.models import FailedFix
from engine.policy.objectives import Objective
from engine.policy.policy import Policy
from engine.policy.priority import category_fix_rates, cross_run_score
from engine.policy.services import ServiceCatalog, ServiceProfile
from tests.policy_fixtures import T0, attempt, days, entry, finding, ledger

CATALOG = ServiceCatalog(
    profiles=(ServiceProfile(name="payments", importance=100), ServiceProfile(name="wiki", importance=20))
)


def test_new_finding_parts_are_points_that_add_up() -> None:
    score = cross_run_score(
        finding("F-1", severity="high", service="Payments"), None, CATALOG, Policy(), {}, T0
    )
    assert score.parts() == {
        "service_importance": 35.0,
        "severity": 22.5,
        "sla_urgency": 0.0,
        "fix_rate": 5.0,  # unknown category: 0.5
        "recurrence": 0.0,
        "objective_boost": 0.0,
    }
    assert score.total == 62.5


def test_known_entry_adds_sla_urgency_recurrence_and_fix_rate() -> None:
    known = entry("fp", severity="medium", first_seen=T0, appearances=3)
    rates = {FindingCategory.xss: 0.8}
    score = cross_run_score(
        finding("F-2", "fp", severity="medium", category="xss", service="unknown-svc"),
        known,
        CATALOG,
        Policy(),
        rates,
        days(30),
    )
    assert score.service_importance == 17.5  # default importance 50
    assert score.severity == 12.0
    assert score.sla_urgency == 5.0  # 30 of 90 days
    assert score.fix_rate == 8.0
    assert score.recurrence == 5.0  # 2 of 4 steps
    assert score.total == pytest.approx(sum(score.parts().values()))
    assert score.total == 47.5


def test_urgency_caps_at_the_due_date_and_a_failed_fix_maxes_recurrence() -> None:
    known = entry("fp", severity="low", first_seen=days(-1000), appearances=1)
    known.failed_fixes.append(FailedFix(pr_url="https://x/pull/1", run_id="r", detected_at=T0, scan_id="s"))
    score = cross_run_score(
        finding("F", "fp", severity="low", service="wiki"), known, CATALOG, Policy(), {}, T0
    )
    assert (score.service_importance, score.severity, score.sla_urgency, score.recurrence) == (
        7.0,
        3.0,
        15.0,
        10.0,
    )
    assert score.total == 40.0


def test_objective_boost_is_ten_per_unmet_objective_served() -> None:
    critical = Objective(id="no-critical", severity=Severity.critical)
    sqli = Objective(id="no-sqli", category=FindingCategory.sql_injection)
    xss = Objective(id="no-xss", category=FindingCategory.xss)
    inactive = Objective(id="off", severity=Severity.critical, active=False)
    policy = Policy(objectives=[critical, sqli, xss, inactive])
    item = finding("F", severity="critical", category="sql_injection")
    # Without an explicit list every active objective is assumed unmet.
    assert cross_run_score(item, None, CATALOG, policy, {}, T0).objective_boost == 20.0
    only_sqli = cross_run_score(item, None, CATALOG, policy, {}, T0, unmet_objectives=[sqli, xss])
    assert only_sqli.objective_boost == 10.0
    plain = cross_run_score(item, None, CATALOG, Policy(), {}, T0)
    assert only_sqli.total == pytest.approx(plain.total + 10)


def test_parts_always_sum_to_the_total_after_rounding() -> None:
    for importance in range(0, 101, 7):
        catalog = ServiceCatalog(profiles=(ServiceProfile(name="s", importance=importance),))
        for hours in (1, 13, 77, 500):
            known = entry("fp", severity="high", first_seen=T0, appearances=2)
            score = cross_run_score(
                finding("F", "fp", service="s"),
                known,
                catalog,
                Policy(),
                {FindingCategory.sql_injection: 1 / 3},
                days(hours / 24),
            )
            assert score.total == round(sum(score.parts().values()), 1)
            assert all(round(value, 1) == value for value in score.parts().values())


def test_category_fix_rates_count_finished_attempts_only() -> None:
    book = ledger(
        entry(
            "a",
            category="sql_injection",
            attempts=[attempt(outcome="success"), attempt(outcome="failed"), attempt(outcome="timeout")],
        ),
        entry(
            "b",
            category="sql_injection",
            attempts=[attempt(outcome="success"), attempt(outcome="interrupted")],
        ),
        entry("c", category="xss", attempts=[attempt(outcome="refused"), attempt(outcome="active")]),
        entry("d", category="hardcoded_secret", attempts=[attempt(outcome="success")]),
    )
    assert category_fix_rates(book) == {
        FindingCategory.sql_injection: 0.5,
        FindingCategory.hardcoded_secret: 1.0,
    }


def test_reliable_categories_rank_higher() -> None:
    rates = {FindingCategory.hardcoded_secret: 0.9, FindingCategory.xss: 0.1}
    cheap = cross_run_score(finding("A", category="hardcoded_secret"), None, CATALOG, Policy(), rates, T0)
    hard = cross_run_score(finding("B", category="xss"), None, CATALOG, Policy(), rates, T0)
    assert cheap.total - hard.total == pytest.approx(8.0)


def test_score_round_trips_through_json_and_is_frozen() -> None:
    score = cross_run_score(finding("F"), entry("fp", appearances=5), CATALOG, Policy(), {}, days(3))
    assert PriorityScore.model_validate_json(score.model_dump_json()) == score
    with pytest.raises(ValueError):
        score.total = 1.0  # type: ignore[misc]
