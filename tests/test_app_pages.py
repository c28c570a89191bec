"""The app, page by page, against runs in every state (AppTest: in-process, no browser)."""

from __future__ import annotations

import getpass
import re
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.app_fixtures import (
    ALL_RUNS,
    COMPLETED,
    CRASHED,
    FAILED_START,
    FIXTURE_REVIEWER,
    INTERRUPTED,
    PAGES,
    PAUSED,
    RUNNING,
    STARTING,
    app_runs_fixture,  # noqa: F401  (pytest fixture)
    copy_run,
    decisions_of,
    empty_runs_fixture,  # noqa: F401  (pytest fixture)
    metric,
    open_page,
    texts,
    use_runs_fixture,  # noqa: F401  (pytest fixture)
)
from tests.engine_helpers import load_run

slow = pytest.mark.slow  # these run the engine (through the fixtures)


# --- every page, every state -------------------------------------------------------------------


@slow
@pytest.mark.parametrize("page_name", list(PAGES))
@pytest.mark.parametrize("run_id", ALL_RUNS)
def test_every_page_renders_every_run_state(app_runs: Path, use_runs, page_name: str, run_id: str) -> None:
    use_runs(app_runs)
    at = open_page(page_name, run_id)
    assert not at.exception, at.exception
    assert at.query_params["run"] == run_id  # the selection survives the page switch
    assert at.sidebar.selectbox(key="pw_run_picker").value == run_id


@pytest.mark.parametrize("page_name", list(PAGES))
def test_every_page_with_no_runs_shows_the_next_step(empty_runs: Path, use_runs, page_name: str) -> None:
    use_runs(empty_runs)
    at = open_page(page_name)
    assert not at.exception, at.exception
    assert "No runs yet" in texts(at)
    assert any(b.label == "Start demo run" for b in at.button)


# --- run selection -----------------------------------------------------------------------------


@slow
def test_without_a_run_in_the_url_the_newest_is_selected_and_written_back(app_runs: Path, use_runs) -> None:
    use_runs(app_runs)
    at = open_page("overview")
    assert at.query_params["run"] == RUNNING
    picker = at.sidebar.selectbox(key="pw_run_picker")
    assert picker.options[0] == f"🟢 {RUNNING}"  # the status as a mark


@slow
def test_an_unknown_run_in_the_url_warns_and_shows_the_newest(app_runs: Path, use_runs) -> None:
    use_runs(app_runs)
    at = open_page("overview", "no-such-run")
    assert any("no-such-run" in w.value for w in at.warning)
    assert at.query_params["run"] == RUNNING


@slow
def test_the_sidebar_picker_moves_the_url(app_runs: Path, use_runs) -> None:
    use_runs(app_runs)
    at = open_page("findings", RUNNING)
    at.sidebar.selectbox(key="pw_run_picker").select(COMPLETED).run()
    assert not at.exception
    assert at.query_params["run"] == COMPLETED
    assert "Run `completed`" in texts(at)


@slow
def test_sidebar_shows_status_source_and_pending_reviews(app_runs: Path, use_runs) -> None:
    use_runs(app_runs)
    at = open_page("overview", COMPLETED)
    sidebar = "\n".join(m.value for m in at.sidebar.markdown)
    assert ":material/check_circle: completed" in sidebar and "simulated" in sidebar
    # the simulated run fixes all but one finding (seed 0): 23 pull requests, one approved
    assert [p.label for p in at.get("page_link") if "pending" in p.label] == ["22 pending reviews"]


# --- overview ----------------------------------------------------------------------------------


@slow
def test_overview_of_the_sample_run(app_runs: Path, use_runs) -> None:
    use_runs(app_runs)
    at = open_page("overview", COMPLETED)
    assert metric(at, "Findings") == "24"
    # one finding the simulated agent cannot fix (seed 0): 23 pull requests, one approved. Only
    # the approved one is fixed; the outcomes add up to the findings total.
    outcomes = ["Fixed", "PR awaiting review", "Failed", "Held back", "Open"]
    assert [metric(at, label) for label in outcomes] == ["1", "22", "1", "0", "0"]
    assert sum(int(metric(at, label)) for label in outcomes) == 24
    # session attempts are a separate figure: 29 sessions (retries included) for 24 findings
    assert "Fix rate 50%" in texts(at) and "Session attempts: 29 (23 finished, 6 failed" in texts(at)
    assert [p.value for p in at.get("progress")] == [100, 100, 100]
    # the severity and progress-over-time charts
    assert len(at.get("plotly_chart")) == 2
    timeline = at.dataframe[1].value
    assert "Review approved" in set(timeline["kind"])
    assert any(FIXTURE_REVIEWER in m for m in timeline["message"])
    assert "5 critical" in texts(at)


@slow
def test_overview_of_a_running_run_offers_stop(app_runs: Path, use_runs) -> None:
    use_runs(app_runs)
    at = open_page("overview", RUNNING)
    assert any(b.label == "Stop run" for b in at.button)
    assert any(i.value.startswith("**Running**") for i in at.info)  # the banner, as an alert


@slow
@pytest.mark.parametrize(
    ("run_id", "says", "button"),
    [
        (CRASHED, "stopped unexpectedly", "Resume run"),
        (PAUSED, "Paused at the wave gate", "Resume run"),
        (INTERRUPTED, "Stopped", "Resume run"),
        (FAILED_START, "fixture says no", "Try starting again"),
    ],
)
def test_overview_says_what_happened_and_offers_resume(
    app_runs: Path, use_runs, run_id: str, says: str, button: str
) -> None:
    use_runs(app_runs)
    at = open_page("overview", run_id)
    assert says in texts(at)
    assert any(b.label == button for b in at.button)


@slow
def test_overview_of_a_starting_run_shows_its_bootstrap(app_runs: Path, use_runs) -> None:
    use_runs(app_runs)
    at = open_page("overview", STARTING)
    assert "Starting the engine" in texts(at)
    assert metric(at, "Findings accepted") == "24"


@slow
def test_pages_that_need_run_data_say_so_while_it_starts(app_runs: Path, use_runs) -> None:
    use_runs(app_runs)
    at = open_page("findings", STARTING)
    assert "has no data yet" in texts(at)


# --- findings and sessions ---------------------------------------------------------------------


@slow
def test_findings_filter_and_links(app_runs: Path, use_runs) -> None:
    use_runs(app_runs)
    at = open_page("findings", COMPLETED)
    table = at.dataframe[0].value
    assert len(table) == 24
    assert list(table["rank"]) == sorted(table["rank"])
    links = table["pull_request_url"].dropna()
    assert len(links) == 23  # one finding the simulated agent cannot fix
    assert links.str.startswith("http://127.0.0.1:8766/acme-corp/").all()  # the simulated PR pages
    assert at.download_button(key="findings_download").label == "Download CSV"
    at.multiselect(key="findings_severity").select("critical").run()
    assert len(at.dataframe[0].value) == 5
    at.multiselect(key="findings_status").select("PR awaiting review").run()
    assert len(at.dataframe[0].value) == 4  # one critical finding's PR is approved: fixed


@slow
def test_sessions_table_and_detail(app_runs: Path, use_runs) -> None:
    use_runs(app_runs)
    at = open_page("sessions", COMPLETED)
    assert len(at.dataframe[0].value) == len(load_run(app_runs, COMPLETED).sessions) >= 24
    assert at.download_button(key="sessions_download").label == "Download CSV"
    page = texts(at)
    assert "Agent progress" in page and "Fix approach" in page
    assert metric(at, "Tests") == "Passed"
    trace = at.dataframe[-1].value
    assert {"Session dispatched", "Session completed"} <= set(trace["kind"])
    picker = at.selectbox[0]
    picker.select(picker.options[-1]).run()
    assert not at.exception


@slow
def test_simulated_pull_request_links_open_from_the_app(app_runs: Path, use_runs, monkeypatch) -> None:
    """The app serves the pull request pages the runs saved, so a PR link opens whenever its
    run ran (the run's own simulator is long gone)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("SIM_PULL_PAGES_URL", f"http://127.0.0.1:{port}")
    use_runs(app_runs)
    open_page("findings", COMPLETED)
    session = next(s for s in load_run(app_runs, COMPLETED).sessions if s.pull_request_url)
    page = requests.get(f"http://127.0.0.1:{port}{urlsplit(session.pull_request_url or '').path}", timeout=5)
    assert page.status_code == 200 and f"[Patchwave] {session.finding_id}:" in page.text


# --- review ----------------------------------------------------------------------------------


@slow
def test_approving_through_the_ui_records_the_local_user(app_runs: Path, use_runs, tmp_path: Path) -> None:
    runs = copy_run(app_runs, COMPLETED, tmp_path / "runs")
    use_runs(runs)
    at = open_page("review", COMPLETED)
    assert metric(at, "Pending") == "22"
    assert "Reviewing as" in texts(at) and getpass.getuser() in texts(at)
    assert not [t for t in at.text_input if "review" in t.label.lower() and "reason" not in t.label.lower()]
    approve = next(b for b in at.button if b.label == "Approve")
    finding_id, attempt = approve.key.split("::")[1:]
    at.text_input(key=f"review_reason::{COMPLETED}::{finding_id}::{attempt}").set_value("tests pass")
    approve.click().run()
    assert not at.exception
    latest = decisions_of(runs, COMPLETED)[-1]
    assert (latest.finding_id, latest.attempt, latest.decision) == (finding_id, int(attempt), "approved")
    assert latest.reviewer == f"{getpass.getuser()}@localhost" and latest.reason == "tests pass"
    assert metric(at, "Pending") == "21"
    assert any("Approved the pull request" in s.value for s in at.success)

    at.switch_page(PAGES["overview"]).run()
    assert metric(at, "PR awaiting review") == "21"
    assert metric(at, "Fixed") == "2"  # the fixture's approval and this one
    assert any(getpass.getuser() in m and finding_id in m for m in at.dataframe[1].value["message"])


@slow
def test_rejecting_through_the_ui(app_runs: Path, use_runs, tmp_path: Path) -> None:
    runs = copy_run(app_runs, COMPLETED, tmp_path / "runs")
    use_runs(runs)
    at = open_page("review", COMPLETED)
    reject = next(b for b in at.button if b.label == "Reject")
    reject.click().run()
    assert decisions_of(runs, COMPLETED)[-1].decision == "rejected"
    at.segmented_control(key="review_filter").set_value("Decided").run()
    assert not at.exception
    assert "Rejected by" in texts(at)
    # A rejected PR is no fix: the Overview counts it as failed, the Findings page says so.
    at.switch_page(PAGES["overview"]).run()
    failed = next(m for m in at.metric if m.label == "Failed")
    assert (failed.value, failed.delta) == ("2", "1 PR rejected")
    assert (metric(at, "Fixed"), metric(at, "PR awaiting review")) == ("1", "21")
    at.switch_page(PAGES["findings"]).run()
    table = at.dataframe[0].value
    rejected = decisions_of(runs, COMPLETED)[-1].finding_id
    assert table.set_index("finding_id").loc[rejected, "status"] == "Failed"


# --- history, ROI, ops, eval ---------------------------------------------------------------------


@slow
def test_history_lists_every_run_and_compares_two(app_runs: Path, use_runs) -> None:
    use_runs(app_runs)
    at = open_page("history", COMPLETED)
    table = at.dataframe[0].value
    assert set(table["run_id"]) == set(ALL_RUNS)
    status = dict(zip(table["run_id"], table["status"], strict=True))
    assert status[CRASHED] == "💥 crashed"
    assert status[FAILED_START] == "⚠️ failed to start"
    assert status[PAUSED] == "⏸️ paused"
    at.selectbox(key="history_compare_a").select(COMPLETED).run()
    at.selectbox(key="history_compare_b").select(PAUSED).run()
    compare = at.dataframe[-1].value
    assert list(compare.columns) == ["metric", COMPLETED, PAUSED]


@slow
def test_history_opens_a_run(app_runs: Path, use_runs) -> None:
    use_runs(app_runs)
    at = open_page("history", COMPLETED)
    at.selectbox(key="history_open").select(PAUSED).run()
    at.button(key="history_open_button").click().run()
    assert at.query_params["run"] == PAUSED
    assert at.title[0].value == "Overview"


@slow
def test_roi_counts_the_approval(app_runs: Path, use_runs) -> None:
    use_runs(app_runs)
    at = open_page("roi", COMPLETED)
    page = texts(at).replace("\\", "")  # markdown escapes
    assert "Acceptance rate (simulated): 100%" in page and "1 of 1 reviewed" in page
    # only the one approved pull request is a fix; those awaiting review (22 in this run alone)
    # are potential, shown apart
    assert metric(at, "Accepted fixes (simulated)") == "1"
    awaiting = re.search(r"\*\*(\d+)\*\* pull requests awaiting review", page)
    assert awaiting is not None and int(awaiting.group(1)) >= 22
    # the data is simulated and the sample small, and the page says both
    assert any("Simulated data: 7 of 7 runs" in i.value.replace("\\", "") for i in at.info)
    assert any("Small sample: 1 accepted fix " in w.value.replace("\\", "") for w in at.warning)
    assert all("(simulated)" in m.label for m in at.metric[:6])  # the headline figures
    # agent cost from the ACUs the simulated sessions reported
    # (marked "(estimated)" as well when some run's sessions reported no usage)
    cost = next(m for m in at.metric if m.label.startswith("Agent cost (simulated)"))
    assert cost.value.startswith("$")
    assert len(at.get("plotly_chart")) == 2
    assert [b.label for b in at.get("download_button")] == ["Download executive report"]
    money = metric(at, "Money saved (simulated)")
    at.number_input(key="roi_hourly_rate").set_value(0.0).run()
    assert metric(at, "Money saved (simulated)") == "$0" != money


@slow
def test_ops_figures_and_small_samples(app_runs: Path, use_runs) -> None:
    use_runs(app_runs)
    at = open_page("ops", COMPLETED)
    assert metric(at, "Session duration p50") not in ("Not enough data", "")
    assert len(at.get("plotly_chart")) == 1
    at = open_page("ops", INTERRUPTED)
    assert metric(at, "Session duration p50") == "Not enough data"


@slow
def test_eval_flags_critical_categories(app_runs: Path, use_runs) -> None:
    use_runs(app_runs)
    at = open_page("eval", PAUSED)
    assert any("critical" in e.value for e in at.error)
    bands = set(at.dataframe[0].value["band"])
    assert "🔴 critical" in bands
    at = open_page("eval", COMPLETED)
    assert not at.error
    assert "80%" in texts(at)  # the thresholds are shown
