"""Held-back findings are shown prominently, with the reason and what to do, on Launch, Overview
and History; a run that held findings back never reads as if it did them all."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.policy import Policy, SimulatedBudget, save_policy
from tests.app_fixtures import metric, open_page, texts, use_runs_fixture  # noqa: F401
from tests.engine_helpers import SAMPLE, cli

pytestmark = pytest.mark.slow

RUN = "held"


@pytest.fixture(scope="module", name="held_runs")
def held_runs_fixture(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A simulated run whose budget ([budget.simulated]) allows 3 sessions: 21 findings held back."""
    root = tmp_path_factory.mktemp("held")
    runs, policy = root / "runs", root / "policy.toml"
    save_policy(policy, Policy(simulated=SimulatedBudget(global_session_limit=3)))
    done = cli(runs, "run", str(SAMPLE), "--run-id", RUN, "--speed", "200", POLICY_FILE=str(policy))
    assert done.returncode == 0, done.stderr
    assert "21 held back: the session budget is used up" in done.stderr
    return runs, policy


@pytest.fixture(name="held_app")
def held_app_fixture(held_runs: tuple[Path, Path], use_runs, monkeypatch: pytest.MonkeyPatch) -> Path:
    runs, policy = held_runs
    use_runs(runs)
    monkeypatch.setenv("POLICY_FILE", str(policy))
    return runs


def plain(text: str) -> str:
    return text.replace("\\", "")  # markdown escapes


def test_the_overview_shows_held_back_findings_and_their_reason(held_app: Path) -> None:
    at = open_page("overview", RUN)
    page = plain(texts(at))
    assert "21 of 24 findings held back" in page
    assert "the session budget is used up" in page and "[budget.simulated]" in page
    # completed, but not as if all 24 were done
    assert "3 of 24 findings worked on, **21 held back**" in page
    assert not any(s.value.startswith("Completed") for s in at.success)
    outcomes = ["Fixed", "PR awaiting review", "Failed", "Held back", "Open"]
    assert metric(at, "Held back") == "21"
    assert sum(int(metric(at, label).replace(",", "")) for label in outcomes) == int(metric(at, "Findings"))


def test_history_shows_which_runs_held_findings_back(held_app: Path) -> None:
    at = open_page("history", RUN)
    page = plain(texts(at))
    assert "1 runs held findings back" in page and f"Run `{RUN}`: **21 held back**" in page
    table = at.dataframe[0].value
    row = table.set_index("run_id").loc[RUN]
    assert (row["findings"], row["held_back"]) == (24, 21)


def test_launch_shows_what_the_plan_holds_back_and_that_it_is_no_error(held_app: Path) -> None:
    at = open_page("launch")
    at.file_uploader[0].upload("findings.csv", SAMPLE.read_bytes(), "text/csv").run()
    assert not at.exception
    page = plain(texts(at))
    # the three sessions of the first run use up the simulated budget of 3 in its window
    assert metric(at, "To dispatch") == "0"
    assert "24 of 24 findings held back" in page and "[budget.simulated]" in page
    assert "Nothing new to dispatch" in page and "not an error" in page
