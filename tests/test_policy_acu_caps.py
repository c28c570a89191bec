"""The policy's ACU cap table: which rule a finding's session gets, the file's errors naming the
row, the round trip, the cross-run plan's ACU budget counting each finding's own cap, and a
launch copying the table into the run's config (the demo keeps its one cap)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.core.acu_caps import RUN_SETTING_RULE, AcuCapRule, acu_cap_for
from engine.core.errors import BadInputError
from engine.launch.control import DEMO_LAUNCH, build_config, demo_settings, launch_plan_options
from engine.policy.gates import SkipReason
from engine.policy.plan import plan_across_runs
from engine.policy.policy import Policy, load_policy, save_policy
from engine.policy.services import ServiceCatalog
from engine.settings.environment import Settings
from tests.policy_fixtures import T0, finding, ledger

TABLE = """
[[acu_caps]]
category = "dependency_vulnerability"
max_acu = 12

[[acu_caps]]
severity = "critical"
max_acu = 10

[[acu_caps]]
category = "sql_injection"
severity = "low"
max_acu = 3

[[acu_caps]]
max_acu = 6
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("category", "severity", "cap", "rule"),
    [
        # category and severity beat category alone, which beats severity alone, then any finding
        ("sql_injection", "low", 3, "policy: sql_injection, low"),
        ("dependency_vulnerability", "critical", 12, "policy: dependency_vulnerability, any severity"),
        ("xss", "critical", 10, "policy: any category, critical"),
        ("sql_injection", "high", 6, "policy: any category, any severity"),
    ],
)
def test_the_most_specific_rule_chooses_the_cap(
    tmp_path: Path, category: str, severity: str, cap: int, rule: str
) -> None:
    policy = load_policy(write(tmp_path, TABLE))
    chosen = policy.acu_cap(category, severity, default=5)
    assert (chosen.max_acu, chosen.rule) == (cap, rule)


def test_a_finding_no_rule_matches_gets_the_run_setting() -> None:
    rules = [AcuCapRule(category="xss", max_acu=2), AcuCapRule(severity="critical", max_acu=9)]
    chosen = acu_cap_for(rules, "sql_injection", "high", default=5)
    assert (chosen.max_acu, chosen.rule) == (5, RUN_SETTING_RULE)
    assert acu_cap_for([], "xss", "low", default=7).max_acu == 7


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[acu_caps]]\ncategory = 'xss'\n", "acu_caps[0].max_acu: missing: every ACU cap needs max_acu"),
        ("[[acu_caps]]\nmax_acu = 0\n", "acu_caps[0].max_acu: expected a whole number of ACUs 1-1000, got 0"),
        ("[[acu_caps]]\nmax_acu = 2.5\n", "acu_caps[0].max_acu: expected a whole number of ACUs, got 2.5"),
        ("[[acu_caps]]\nmax_acu = 5000\n", "expected a whole number of ACUs 1-1000, got 5000"),
        (
            "[[acu_caps]]\nseverity = 'urgent'\nmax_acu = 3\n",
            "acu_caps[0].severity: expected one of critical/",
        ),
        ("[[acu_caps]]\ncategory = 'typo'\nmax_acu = 3\n", "acu_caps[0].category: expected one of "),
        ("[[acu_caps]]\nmax_acu = 3\nlimit = 4\n", "acu_caps[0].limit: unknown key (expected one of"),
        ("acu_caps = 5\n", "acu_caps: expected [[acu_caps]] tables"),
        (
            "[[acu_caps]]\nseverity = 'low'\nmax_acu = 3\n[[acu_caps]]\nseverity = 'LOW'\nmax_acu = 4\n",
            "acu_caps[1]: repeats the ACU cap of row 0 (any category, low); keep one row per category",
        ),
    ],
)
def test_a_bad_table_is_refused_naming_the_file_and_the_row(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(BadInputError) as raised:
        load_policy(path)
    assert str(raised.value).startswith(f"{path}: ")
    assert message in str(raised.value)


def test_the_table_round_trips_with_the_rest_of_the_policy(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, "[budget]\nacu_budget_per_run = 40\n" + TABLE))
    saved = tmp_path / "saved.toml"
    save_policy(saved, policy)
    again = load_policy(saved)
    assert again == policy and len(again.acu_caps) == 4
    assert again.acu_budget_per_run == 40


def test_the_policy_model_refuses_two_rules_for_the_same_key() -> None:
    with pytest.raises(ValueError, match="repeats an earlier row"):
        Policy(acu_caps=[AcuCapRule(category="xss", max_acu=2), AcuCapRule(category="xss", max_acu=3)])


def test_the_acu_budget_adds_up_each_findings_own_cap() -> None:
    # Budget 20: the dependency finding's 12 and the first sql finding's 5 fit (17); the second
    # sql finding's 5 would not (22), but the low one's 3 still does (20).
    policy = Policy(
        acu_budget_per_run=20,
        acu_caps=[
            AcuCapRule(category="dependency_vulnerability", max_acu=12),
            AcuCapRule(severity="low", max_acu=3),
        ],
    )
    findings = [
        finding("D-1", "d1", severity="critical", category="dependency_vulnerability"),
        finding("S-1", "s1", severity="high"),
        finding("S-2", "s2", severity="high"),
        finding("L-1", "l1", severity="low"),
    ]
    result = plan_across_runs(findings, ledger(), ServiceCatalog(), policy, T0, 5)
    assert [p.finding.finding_id for p in result.selected] == ["D-1", "S-1", "L-1"]
    skip = next(s for s in result.skipped if s.finding_id == "S-2")
    assert skip.reason == SkipReason.acu_budget
    assert skip.detail == (
        "its 5 ACU cap on top of the 17 ACU planned for 2 session(s) would exceed the run's budget of 20 ACU"
    )
    assert result.budget.acu_planned == 20


def test_a_launch_copies_the_table_into_the_run_config_and_the_demo_does_not(tmp_path: Path) -> None:
    settings = Settings(policy_file=write(tmp_path, TABLE), runs_dir=tmp_path / "runs", _env_file=None)
    config = build_config(settings, live=False)
    assert config.acu_caps == load_policy(settings.policy_file).acu_caps
    demo, _ = launch_plan_options(
        demo_settings(settings), use_ledger=False, live=False, acu_caps=DEMO_LAUNCH.acu_caps
    )
    assert demo.acu_caps == [] and demo.max_acu_per_session == 5


def test_a_launch_refuses_a_bad_table_naming_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[[acu_caps]]\nmax_acu = -1\n")
    with pytest.raises(BadInputError, match="acu_caps"):
        build_config(Settings(policy_file=path, _env_file=None), live=False)
