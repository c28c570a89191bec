"""The cost figures in the app (AppTest): the Sessions page's ACU cap, ACUs, figure basis and
cost per session and in the session detail; the ROI page's cost breakdown per category and per
service; the executive report's cost section. Figures the API did not report say "estimated"."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.analytics import formatting as fmt
from engine.analytics.cost import run_cost
from engine.analytics.roi import RoiAssumptions, executive_report_html, run_roi
from engine.core.models import BatchRun
from engine.runs.index import read_index
from engine.runs.paths import RunPaths
from engine.runs.reviews import record_review, reviewable
from tests.app_fixtures import copy_run, metric, open_page, texts
from tests.app_fixtures import use_runs_fixture as use_runs_fixture
from tests.engine_helpers import SAMPLE, cli, load_run

pytestmark = pytest.mark.slow
RUN = "costed"
PRICE = 3.0


@pytest.fixture(scope="module")
def cost_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    runs = tmp_path_factory.mktemp("cost_runs")
    done = cli(runs, "run", str(SAMPLE), "--speed", "3000", "--wave", "3", "--run-id", RUN, "--no-ledger")
    assert done.returncode == 0, done.stderr
    return runs


def without_usage(source: Path, target: Path) -> Path:
    """The run as a v1 API would have left it: no session has an ACU figure."""
    copy_run(source, RUN, target)
    state = target / RUN / "state.json"
    run = BatchRun.model_validate_json(state.read_bytes())
    for session in run.sessions:
        session.acus_consumed = None
    state.write_text(run.model_dump_json())
    return target


@pytest.fixture
def priced(monkeypatch: pytest.MonkeyPatch, use_runs):
    def point(runs: Path) -> None:
        use_runs(runs)
        monkeypatch.setenv("PRICE_PER_ACU", str(PRICE))

    return point


def test_the_sessions_page_shows_each_sessions_cap_acus_and_cost(cost_runs: Path, priced) -> None:
    priced(cost_runs)
    run = load_run(cost_runs, RUN)
    at = open_page("sessions", RUN)
    table = at.dataframe[0].value
    assert len(table) == len(run.sessions)
    assert set(table["acus_basis"]) == {"reported"}
    assert sorted(table["acus"]) == sorted(s.acus_consumed for s in run.sessions)
    assert list(table["cost"]) == pytest.approx([a * PRICE for a in table["acus"]])
    assert set(table["acu_limit"]) == {5}
    assert sum(table["acus"]) == pytest.approx(run.totals.acus_reported)
    page = texts(at)
    assert "**ACUs**" in page and "ACU cap (run setting max\\_acu\\_per\\_session)" in page
    assert "\\$3.00" in page


def test_the_sessions_page_marks_estimated_figures(cost_runs: Path, priced, tmp_path: Path) -> None:
    priced(without_usage(cost_runs, tmp_path / "runs"))
    at = open_page("sessions", RUN)
    table = at.dataframe[0].value
    assert set(table["acus_basis"]) == {"estimated"}
    assert all(0 < a <= 5 for a in table["acus"])
    assert "(estimated: the API reported none)" in texts(at)


def test_the_roi_page_breaks_the_cost_down_per_category_and_service(cost_runs: Path, priced) -> None:
    priced(cost_runs)
    run = load_run(cost_runs, RUN)
    expected = run_cost(run, run.completed_at, PRICE)
    at = open_page("roi")
    assert not at.exception
    category = at.dataframe[-2].value  # per run, then per category and per service
    service = at.dataframe[-1].value
    worked = [f for f in run.findings if f.finding_id in {s.finding_id for s in run.sessions}]
    assert set(category["key"]) == {fmt.category_label(f.category.value) for f in worked}  # in words
    assert set(service["key"]) == {f.service_name for f in worked}
    for table in (category, service):
        assert sum(table["acus"]) == pytest.approx(expected.total.acus)
        assert sum(table["cost"]) == pytest.approx(expected.total.acus * PRICE)
        assert sum(table["estimated_acus"]) == 0
    assert metric(at, "ACUs (simulated)") == fmt.number(expected.total.acus)
    assert metric(at, "Sessions (simulated)") == str(expected.total.sessions)
    assert metric(at, "Cost per accepted fix (simulated)") == fmt.DASH  # nobody has approved a PR yet
    page = texts(at)
    assert "Every ACU figure is the usage the API reported." in page
    assert at.number_input(key="roi_price_per_acu").value == PRICE  # the configured price


def test_the_cost_per_accepted_fix_counts_approved_pull_requests_only(
    cost_runs: Path, priced, tmp_path: Path
) -> None:
    runs = copy_run(cost_runs, RUN, tmp_path / "runs")
    priced(runs)
    run = load_run(runs, RUN)
    with_pr = [s for s in run.sessions if reviewable(s)]
    approved, rejected = with_pr[0], with_pr[1]
    record_review(RunPaths.of(runs, RUN), run, *approved.key, "approved", "alice")
    record_review(RunPaths.of(runs, RUN), run, *rejected.key, "rejected", "bob", "breaks the build")
    total = run_cost(run, run.completed_at, PRICE).total
    at = open_page("roi")
    assert not at.exception
    assert metric(at, "Accepted fixes (simulated)") == "1"
    assert metric(at, "Cost per accepted fix (simulated)") == f"${total.cost:,.2f}"  # all spent ÷ one fix
    category = at.dataframe[-2].value
    assert sum(category["accepted_fixes"]) == 1  # the rejected PR is no fix


def test_the_roi_page_says_which_acus_are_estimated(cost_runs: Path, priced, tmp_path: Path) -> None:
    priced(without_usage(cost_runs, tmp_path / "runs"))
    at = open_page("roi")
    assert not at.exception
    assert any(m.label == "ACUs (part estimated) (simulated)" for m in at.metric)  # simulated runs say so
    assert "of the ACUs are estimated" in texts(at)
    category = at.dataframe[-2].value  # per run, then per category and per service
    assert sum(category["acus"]) > 0
    assert sum(category["estimated_acus"]) == pytest.approx(sum(category["acus"]))


def test_the_executive_report_carries_the_cost_breakdown(cost_runs: Path) -> None:
    run = load_run(cost_runs, RUN)
    [entry] = read_index(cost_runs).runs
    cost = run_cost(run, run.completed_at, PRICE)
    html = executive_report_html(
        [run_roi(entry, [], RoiAssumptions())], RoiAssumptions(), run.completed_at, cost
    )
    assert (
        "<h2>Cost breakdown</h2>" in html
        and "<h3>Per category</h3>" in html
        and "<h3>Per service</h3>" in html
    )
    for group in cost.by_category + cost.by_service:
        assert f"<td>{group.key}</td>" in html
    assert f"{cost.total.accepted_fixes:,} accepted fixes" in html
    assert "Every ACU figure is the usage the API reported." in html
    stripped = run.model_copy(deep=True)
    for session in stripped.sessions:
        session.acus_consumed = None
    estimated = executive_report_html(
        [], RoiAssumptions(), run.completed_at, run_cost(stripped, run.completed_at)
    )
    assert "(est.)" in estimated and "of the ACUs are estimated" in estimated
    assert "Cost breakdown" not in executive_report_html([], RoiAssumptions(), run.completed_at)
