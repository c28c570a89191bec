"""The policy file: defaults, every section, messages naming file and key, round trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.core.errors import BadInputError
from engine.core.models import FindingCategory, Severity
from engine.policy.objectives import Objective
from engine.policy.policy import Policy, load_policy, save_policy
from engine.policy.sla import SlaPolicy

FULL = """
[sla]
critical = 5
high = 20
at_risk_fraction = 0.8

[budget]
global_session_limit = 12
global_period_hours = 12.5
per_service_cap = 3
acu_budget_per_run = 40

[retry]
max_attempts = 3
cooldown_hours = [1, 2]

[[objectives]]
id = "no-critical"
title = "No critical findings"
kind = "eliminate"
severity = "critical"

[[objectives]]
id = "halve-high"
kind = "reduce"
severity = "HIGH"
category = "sql_injection"
fraction = 0.5
baseline = 40
active = false
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_file_gives_the_defaults_and_no_objectives(tmp_path: Path) -> None:
    policy = load_policy(tmp_path / "policy.toml")
    assert policy == Policy()
    assert policy.sla.days == {
        Severity.critical: 7,
        Severity.high: 30,
        Severity.medium: 90,
        Severity.low: 180,
    }
    assert policy.sla.at_risk_fraction == 0.75
    assert policy.objectives == []
    assert (policy.global_session_limit, policy.global_period_hours) == (20, 24)
    assert policy.per_service_cap is None and policy.acu_budget_per_run is None
    assert (policy.max_attempts, policy.cooldown_hours) == (4, [24, 72, 168])


def test_every_section_is_read(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, FULL))
    # Severities the [sla] table leaves out keep their defaults.
    assert policy.sla.days == {
        Severity.critical: 5,
        Severity.high: 20,
        Severity.medium: 90,
        Severity.low: 180,
    }
    assert policy.sla.at_risk_fraction == 0.8
    assert policy.global_session_limit == 12
    assert policy.global_period_hours == 12.5
    assert policy.per_service_cap == 3
    assert policy.acu_budget_per_run == 40
    assert policy.max_attempts == 3
    assert policy.cooldown_hours == [1, 2]
    first, second = policy.objectives
    assert first == Objective(id="no-critical", title="No critical findings", severity=Severity.critical)
    assert second.kind == "reduce" and second.severity == Severity.high
    assert second.category == FindingCategory.sql_injection
    assert (second.fraction, second.baseline, second.active) == (0.5, 40, False)
    assert second.label == "halve-high"  # no title: the id is shown


def test_cooldown_after_repeats_the_last_value() -> None:
    policy = Policy(cooldown_hours=[24, 72, 168])
    assert [policy.cooldown_after(n) for n in (1, 2, 3, 4, 9)] == [24, 72, 168, 168, 168]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[sla]\nhigh = 0\n", "policy.toml: sla.high: expected a whole number of days >= 1, got 0"),
        ('[sla]\nhigh = "30"\n', "sla.high: expected a whole number of days, got '30'"),
        ("[sla]\nurgent = 3\n", "sla.urgent: unknown key"),
        ("[sla]\nat_risk_fraction = 1.5\n", "sla.at_risk_fraction: expected a number > 0 and <= 1, got 1.5"),
        (
            "[budget]\nglobal_session_limit = -1\n",
            "budget.global_session_limit: expected a whole number >= 0",
        ),
        ("[budget]\nglobal_period_hours = 0\n", "budget.global_period_hours: expected a number > 0"),
        ("[budget]\nper_service_cap = 1.5\n", "budget.per_service_cap: expected a whole number"),
        ('[budget]\nacu_budget_per_run = "lots"\n', "budget.acu_budget_per_run: expected a number"),
        ("[retry]\nmax_attempts = 0\n", "retry.max_attempts: expected a whole number >= 1"),
        ("[retry]\ncooldown_hours = []\n", "retry.cooldown_hours: expected a non-empty list"),
        ("[retry]\ncooldown_hours = [24, -1]\n", "retry.cooldown_hours[1]: expected a number > 0"),
        ("[[objectives]]\ntitle = 'x'\n", "objectives[0].id: missing"),
        (
            "[[objectives]]\nid = 'a'\nkind = 'shrink'\n",
            "objectives[0].kind: expected one of eliminate/reduce",
        ),
        (
            "[[objectives]]\nid = 'a'\nseverity = 'urgent'\n",
            "objectives[0].severity: expected one of critical",
        ),
        ("[[objectives]]\nid = 'a'\ncategory = 'rce'\n", "objectives[0].category: expected one of"),
        ("[[objectives]]\nid = 'a'\nfraction = 0\n", "objectives[0].fraction: expected a number > 0"),
        ("[[objectives]]\nid = 'a'\nbaseline = -3\n", "objectives[0].baseline: expected a whole number >= 0"),
        ("[[objectives]]\nid = 'a'\nactive = 'yes'\n", "objectives[0].active: expected true or false"),
        (
            "[[objectives]]\nid = 'a'\n[[objectives]]\nid = 'a'\n",
            "objectives[1].id: objective id 'a' is used twice",
        ),
        ("objectives = 3\n", "objectives: expected [[objectives]] tables"),
        ("[budgets]\n", "policy.toml: budgets: unknown key"),
        ("[sla\n", "policy.toml: not valid TOML"),
    ],
)
def test_bad_files_name_the_file_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(BadInputError) as caught:
        load_policy(write(tmp_path, text))
    assert message in str(caught.value)
    assert str(caught.value).startswith(str(tmp_path / "policy.toml"))


def test_save_then_load_round_trips(tmp_path: Path) -> None:
    policy = Policy(
        sla=SlaPolicy(days={Severity.critical: 3}, at_risk_fraction=0.5),
        objectives=[
            Objective(id="no-critical", severity=Severity.critical),
            Objective(
                id="fewer-xss", title="Fewer XSS", kind="reduce", category=FindingCategory.xss, fraction=0.25
            ),
        ],
        global_session_limit=7,
        global_period_hours=6.5,
        per_service_cap=2,
        acu_budget_per_run=12.5,
        max_attempts=2,
        cooldown_hours=[0.5, 48],
    )
    path = tmp_path / "cfg" / "policy.toml"
    save_policy(path, policy)
    assert load_policy(path) == policy
    save_policy(path, Policy())
    assert load_policy(path) == Policy()
