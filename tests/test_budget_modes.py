"""Budgets that fit the mode: simulated runs plan and claim with `[budget.simulated]` (generous
by default) and never use the live budget; the README's run command succeeds however often it
is run on a fresh clone, and a run with nothing new to do says why and exits 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.analytics.held_back import held_back_groups, held_back_lines
from engine.core.errors import BadInputError
from engine.launch.ledger_plan import ledger_config
from engine.ledger import read_ledger
from engine.policy import Policy, SimulatedBudget, load_policy, save_policy
from tests.engine_helpers import SAMPLE, cli, load_run


def test_a_simulated_run_has_its_own_generous_budget_and_the_live_one_is_kept() -> None:
    policy = Policy(global_session_limit=3, per_service_cap=1, acu_budget_per_run=5)
    simulated = policy.for_data_source("simulated")
    assert simulated.global_session_limit == 10_000
    assert simulated.per_service_cap is None and simulated.acu_budget_per_run is None
    assert policy.for_data_source("live") == policy
    assert ledger_config(policy, "simulated").global_session_limit == 10_000
    assert ledger_config(policy, "live").global_session_limit == 3


def test_the_simulated_budget_round_trips_through_the_policy_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(
        "[budget]\nglobal_session_limit = 4\n\n"
        "[budget.simulated]\nglobal_session_limit = 50\nglobal_period_hours = 12\nper_service_cap = 2\n",
        encoding="utf-8",
    )
    policy = load_policy(path)
    assert policy.global_session_limit == 4
    assert policy.simulated == SimulatedBudget(
        global_session_limit=50, global_period_hours=12, per_service_cap=2
    )
    save_policy(path, policy)
    assert load_policy(path) == policy
    assert "[budget.simulated]" in path.read_text(encoding="utf-8")
    # The default simulated budget is not written out.
    save_policy(path, Policy())
    assert "simulated" not in path.read_text(encoding="utf-8")


def test_an_unknown_key_in_the_simulated_budget_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text("[budget.simulated]\nglobal_session_limt = 5\n", encoding="utf-8")
    with pytest.raises(BadInputError, match=r"budget\.simulated"):
        load_policy(path)


def test_held_back_reasons_say_what_changes_them_for_the_run_s_mode() -> None:
    groups = held_back_groups(["global_limit", "cooldown", "global_limit"], "simulated")
    assert [(g.reason, g.count) for g in groups] == [("global_limit", 2), ("cooldown", 1)]
    assert "[budget.simulated]" in groups[0].advice and "--no-ledger" in groups[0].advice
    live = held_back_lines(["global_limit"], "live")
    assert live == [
        "1 held back: the session budget is used up. To change: raise global_session_limit in the "
        "policy file's [budget] table (POLICY_FILE, or the Policy page), wait until earlier sessions "
        "leave its window, or run with --no-ledger."
    ]


def test_the_readme_run_command_succeeds_again_and_again_with_the_default_policy(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    # A fresh clone: no policy file, so the defaults (a live budget of 20 sessions a day).
    fresh = {"POLICY_FILE": str(tmp_path / "no-policy.toml")}
    first = cli(runs, "run", str(SAMPLE), "--speed", "50", "--run-id", "first", **fresh)
    assert first.returncode == 0, first.stderr
    run = load_run(runs, "first")
    assert len(run.findings) == 24 and run.held_back == []  # the live limit of 20 does not apply
    # Again: what the first run fixed has open PRs, what failed cools down. Nothing new to do
    # is not an error; the run says why, and what would change it.
    again = cli(runs, "run", str(SAMPLE), "--speed", "50", "--run-id", "again", **fresh)
    assert again.returncode == 0, again.stderr
    assert "nothing to dispatch" in again.stderr and "no run was created" in again.stderr
    assert "held back: a pull request for it is awaiting review. To change: review" in again.stderr
    assert not (runs / "again").exists()
    # Bad input still exits 2.
    assert cli(runs, "run", str(tmp_path / "missing.csv"), **fresh).returncode == 2


def test_simulated_runs_never_use_up_the_live_budget(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    policy_file = tmp_path / "policy.toml"
    save_policy(policy_file, Policy(global_session_limit=1))
    done = cli(runs, "run", str(SAMPLE), "--speed", "200", "--run-id", "sim", POLICY_FILE=str(policy_file))
    assert done.returncode == 0, done.stderr
    assert len(load_run(runs, "sim").sessions) >= 24
    assert read_ledger(runs, "live").entries == {}  # the live ledger saw nothing


def test_plan_prints_what_it_holds_back_and_the_setting_that_changes_it(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    policy_file = tmp_path / "policy.toml"
    save_policy(policy_file, Policy(simulated=SimulatedBudget(global_session_limit=20)))
    done = cli(runs, "plan", str(SAMPLE), POLICY_FILE=str(policy_file))
    assert done.returncode == 0, done.stderr
    assert (
        "4 held back: the session budget is used up. To change: raise global_session_limit in the "
        "policy file's [budget.simulated] table" in done.stdout
    )
