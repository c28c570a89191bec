"""Launching, stopping and resuming from the app: real engines, started through the UI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.access.roles import local_admin
from engine.core.models import RunStatus
from engine.ledger.ops import import_scan_bytes, mark_false_positive_as
from engine.runs.index import read_index
from engine.runs.state_store import load_state
from engine.settings.environment import load_settings
from engine.simulator import SimulatorServer
from tests.app_fixtures import (
    PAGES,
    metric,
    open_page,
    stop_if_alive,
    texts,
    use_runs_fixture,  # noqa: F401  (pytest fixture)
    wait_for,
)
from tests.engine_helpers import SAMPLE, cli, roomy_policy
from tests.scanner_samples import needs_samples, sample

pytestmark = pytest.mark.slow

HEADER = b"finding_id,category,severity,title,service_name\n"


@pytest.fixture
def fresh_runs(tmp_path: Path) -> Iterator[Path]:
    """An empty runs folder; whatever the test starts in it is stopped afterwards."""
    runs = tmp_path / "runs"
    runs.mkdir()
    yield runs
    for entry in read_index(runs).runs:
        stop_if_alive(runs, entry.run_id)


def run_ids(runs: Path) -> list[str]:
    return [e.run_id for e in read_index(runs).runs]


def upload(at, name: str, data: bytes):
    at.file_uploader[0].upload(name, data, "text/csv").run()
    assert not at.exception, at.exception
    return at


def test_upload_shows_the_check_the_priority_order_and_the_plan(fresh_runs: Path, use_runs) -> None:
    use_runs(fresh_runs)
    at = upload(open_page("launch"), "findings.csv", SAMPLE.read_bytes())
    assert metric(at, "Findings accepted") == "24"
    assert metric(at, "Rows rejected") == "0"
    assert metric(at, "To dispatch") == "24"  # a fresh ledger skips nothing
    preview, plan = at.dataframe[0].value, at.dataframe[2].value
    assert len(preview) == 24 and list(preview["rank"]) == list(range(1, 25))
    parts = [
        "service_importance",
        "severity_points",
        "sla_urgency",
        "fix_rate",
        "recurrence",
        "objective_boost",
    ]
    assert ((preview["score"] - preview[parts].sum(axis=1)).abs() < 0.11).all()
    assert list(preview["score"]) == sorted(preview["score"], reverse=True)
    assert list(plan["findings"]) == [10, 10, 4]
    at.number_input(key="launch_wave_size").set_value(12).run()
    assert list(at.dataframe[2].value["findings"]) == [12, 12]
    # Without the ledger the same score, against an empty history: the same parts, explained
    # the same way, and the history's parts equal for every finding.
    at.toggle(key="launch_use_ledger").set_value(False).run()
    preview = at.dataframe[0].value
    assert ((preview["score"] - preview[parts].sum(axis=1)).abs() < 0.11).all()
    assert set(preview["sla_urgency"]) == {0} and set(preview["fix_rate"]) == {5}
    assert preview["score_parts"].iloc[0].startswith("service 17.5 + severity 30 + SLA 0")
    assert "Live mode needs a Devin API key" in texts(at)
    assert run_ids(fresh_runs) == []  # nothing is written before Launch


def test_rejected_rows_warnings_and_duplicates_are_listed(fresh_runs: Path, use_runs) -> None:
    use_runs(fresh_runs)
    data = HEADER + (
        b"A-1,sqli,high,Injection in search,api\n"
        b"A-2,sql_injection,catastrophic,Bad severity,api\n"
        b"A-3,quantum_leak,low,Unknown category,api\n"
    )
    at = upload(open_page("launch"), "mixed.csv", data)
    assert metric(at, "Findings accepted") == "2"
    assert metric(at, "Rows rejected") == "1"
    assert metric(at, "Warnings") == "1"
    rejected = at.dataframe[3].value
    assert list(rejected["row"]) == [3] and list(rejected["column"]) == ["severity"]
    assert rejected["reason"].iloc[0]


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("bad.csv", b'{"findings": []}', "JSON"),
        ("empty.csv", HEADER, "no data rows"),
        ("cols.csv", b"finding_id,severity\nA-1,high\n", "missing"),
    ],
)
def test_a_bad_file_shows_the_engines_message(
    fresh_runs: Path, use_runs, name: str, data: bytes, says: str
) -> None:
    use_runs(fresh_runs)
    at = upload(open_page("launch"), name, data)
    assert any(says in e.value for e in at.error), [e.value for e in at.error]
    assert all(b.key != "launch_run" for b in at.button)


def test_launch_starts_one_run_and_opens_it(fresh_runs: Path, use_runs) -> None:
    use_runs(fresh_runs)
    at = upload(open_page("launch"), "findings.csv", SAMPLE.read_bytes())
    token = at.session_state["_pw_launch_tokens"]
    at.run()
    assert at.session_state["_pw_launch_tokens"] == token  # stable across reruns
    [run_id] = token.values()
    at.select_slider(key="launch_speed").set_value(1000).run()
    at.button(key="launch_run").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Overview"
    assert at.query_params["run"] == run_id
    assert run_ids(fresh_runs) == [run_id]
    assert run_id in texts(at)  # the Overview of the new run, its banner saying where it stands
    state = fresh_runs / run_id / "state.json"
    wait_for(lambda: state.exists() and load_state(state).status == RunStatus.completed, timeout=30)
    at.switch_page(PAGES["overview"]).run()  # AppTest reruns the page it last switched to itself
    assert metric(at, "Findings") == "24", texts(at)
    # one finding the simulated agent cannot fix (seed 0): 23 PRs, none reviewed yet
    assert (metric(at, "PR awaiting review"), metric(at, "Failed"), metric(at, "Fixed")) == ("23", "1", "0")


def test_start_demo_run_from_the_empty_state(fresh_runs: Path, use_runs) -> None:
    use_runs(fresh_runs)
    at = open_page("overview")
    at.button(key="demo_empty").click().run()
    assert not at.exception, at.exception
    [run_id] = run_ids(fresh_runs)
    assert run_id.startswith("demo-")
    assert at.query_params["run"] == run_id
    assert at.title[0].value == "Overview"
    assert read_index(fresh_runs).runs[0].data_source == "simulated"


def test_stop_then_resume_through_the_ui(fresh_runs: Path, use_runs) -> None:
    done = cli(fresh_runs, "run", str(SAMPLE), "--detach", "--speed", "1", "--run-id", "live")
    assert done.returncode == 0, done.stderr
    state = fresh_runs / "live" / "state.json"
    wait_for(lambda: state.exists() and load_state(state).status == RunStatus.running)
    use_runs(fresh_runs)
    at = open_page("overview", "live")
    at.button(key="overview_stop").click().run()
    assert not at.exception, at.exception
    assert any("stopped" in s.value for s in at.success)
    assert load_state(state).status == RunStatus.interrupted
    assert any(b.key == "overview_resume" for b in at.button)

    at.button(key="overview_resume").click().run()
    assert not at.exception, at.exception
    assert any("resumed" in s.value for s in at.success)
    wait_for(lambda: load_state(state).status == RunStatus.running, 30)
    at.run()
    assert any(b.key == "overview_stop" for b in at.button)
    events = (fresh_runs / "live" / "events.jsonl").read_text().splitlines()
    kinds = [json.loads(line)["kind"] for line in events]
    assert "run_resumed" in kinds


@needs_samples
def test_a_scanner_file_is_read_by_content_and_takes_its_service_from_the_form(
    fresh_runs: Path, use_runs
) -> None:
    use_runs(fresh_runs)
    trivy = sample("trivy/defectdojo_trivy_cvssv4_severity_source.json")
    at = upload(open_page("launch"), "results.json", trivy.read_bytes())
    assert "Service field" in texts(at)  # the file names no service: the form must
    at.text_input(key="launch_service").input("billing-service").run()
    assert metric(at, "Findings accepted") == "3"
    assert "Trivy" in texts(at)
    assert set(at.dataframe[0].value["service"]) == {"billing-service"}


@needs_samples
def test_suppressed_results_are_counted_and_listed_not_planned(fresh_runs: Path, use_runs) -> None:
    use_runs(fresh_runs)
    export = sample("github/souschef_code_scanning_alerts_codeql_snykcode.json")
    at = upload(open_page("launch"), "alerts.json", export.read_bytes())
    at.text_input(key="launch_service").input("souschef").run()
    assert metric(at, "Results read") == "21"  # 43 alerts, 22 dismissed or fixed
    suppressed = at.dataframe[-1].value
    assert len(suppressed) == 22
    assert suppressed["reason"].str.contains("dismissed|fixed").all()


def test_the_plan_lists_what_the_ledger_skips_and_why(fresh_runs: Path, use_runs) -> None:
    use_runs(fresh_runs)
    settings = load_settings(runs_dir=fresh_runs, policy_file=roomy_policy(fresh_runs))
    result = import_scan_bytes(
        settings, local_admin(), SAMPLE.read_bytes(), "findings.csv", data_source="simulated"
    )
    fingerprint = result.summary.new[0]
    mark_false_positive_as(settings, local_admin(), "simulated", fingerprint, "test fixture, not shipped")
    at = upload(open_page("launch"), "findings.csv", SAMPLE.read_bytes())
    assert metric(at, "To dispatch") == "23"
    skipped = at.dataframe[3].value
    assert list(skipped["reason"]) == ["false positive"]
    assert "test fixture" in skipped["detail"].iloc[0] or skipped["detail"].iloc[0]


# --- live mode: the connection check; service overrides in the plan ----------------------------


def launch_button(at):
    return next(b for b in at.button if b.key == "launch_run")


def test_live_mode_launches_only_after_a_good_connection_check(
    fresh_runs: Path, use_runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_runs(fresh_runs)
    with SimulatorServer(seed=1) as server:
        monkeypatch.setenv("DEVIN_API_BASE_URL", server.base_url)
        monkeypatch.setenv("DEVIN_API_KEY", "invalid-key")
        at = upload(open_page("launch"), "findings.csv", SAMPLE.read_bytes())
        at.radio(key="launch_mode").set_value("live").run()
        assert launch_button(at).disabled
        assert "Check the connection before launching" in texts(at)
        at.button(key="launch_check_connection").click().run()
        assert not at.exception, at.exception
        [error] = at.error
        assert "refused the API key" in error.value and "403" in error.value
        assert launch_button(at).disabled

        monkeypatch.setenv("DEVIN_API_KEY", "good-key")  # another key: the old answer no longer counts
        at.run()
        assert launch_button(at).disabled and "Check the connection before launching" in texts(at)
        at.button(key="launch_check_connection").click().run()
        assert any("Connection OK" in s.value for s in at.success), texts(at)
        assert not launch_button(at).disabled

        # The launch checks again on the server: an API gone meanwhile refuses it by name.
        server.outage(60)
        at.button(key="launch_run").click().run()
        assert any("live mode is not ready" in e.value and "503" in e.value for e in at.error), texts(at)
    assert run_ids(fresh_runs) == []


def test_live_mode_with_connected_repos_says_which_findings_go_live(
    fresh_runs: Path, use_runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_runs(fresh_runs)
    monkeypatch.setenv("DEVIN_API_KEY", "any-key")
    monkeypatch.setenv("CONNECTED_REPOS", "acme-corp/payment-service")
    at = upload(open_page("launch"), "findings.csv", SAMPLE.read_bytes())
    at.radio(key="launch_mode").set_value("live").run()
    assert not at.exception, at.exception
    [hybrid] = [i.value for i in at.info if "Hybrid run" in i.value]
    assert "8 of 24 findings are in a connected repository" in hybrid
    assert "the other 16 go to the built-in simulator" in hybrid
    at.radio(key="launch_mode").set_value("simulated").run()  # a simulated run is never hybrid
    assert not any("Hybrid run" in i.value for i in at.info)


def test_the_plan_shows_which_services_overrides_apply(
    fresh_runs: Path, use_runs, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_runs(fresh_runs)
    services = tmp_path / "services.toml"
    services.write_text(
        '[services.payment-service.agent]\ntest_command = "make test-payments"\nreviewers = ["alice"]\n'
        '[services.unrelated.agent]\ninstructions = "Never shown: no finding of this file is here."\n'
    )
    monkeypatch.setenv("SERVICES_FILE", str(services))
    at = upload(open_page("launch"), "findings.csv", SAMPLE.read_bytes())
    tab = next(t for t in at.tabs if t.label.startswith("Service overrides"))
    assert tab.label == "Service overrides (1)"
    [row] = tab.dataframe[0].value.to_dict("records")
    assert row["service"] == "payment-service" and row["findings"] == 8
    assert row["test_command"] == "make test-payments" and row["reviewers"] == "alice"
