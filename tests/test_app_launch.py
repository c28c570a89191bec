"""Launching, stopping and resuming from the app: real engines, started through the UI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.models import RunStatus
from engine.runs.index import read_index
from engine.runs.state_store import load_state
from tests.app_fixtures import (
    PAGES,
    metric,
    open_page,
    stop_if_alive,
    texts,
    use_runs_fixture,  # noqa: F401  (pytest fixture)
    wait_for,
)
from tests.engine_helpers import SAMPLE, cli

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
    preview, plan = at.dataframe[0].value, at.dataframe[1].value
    assert len(preview) == 24 and list(preview["rank"]) == list(range(1, 25))
    assert (
        preview["score"]
        == preview["severity_weight"] + preview["category_weight"] + preview["service_weight"]
    ).all()
    assert list(plan["findings"]) == [10, 10, 4]
    at.number_input(key="launch_wave_size").set_value(12).run()
    assert list(at.dataframe[1].value["findings"]) == [12, 12]
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
    rejected = at.dataframe[2].value
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
    assert any(run_id in s.value for s in at.success)
    state = fresh_runs / run_id / "state.json"
    wait_for(lambda: state.exists() and load_state(state).status == RunStatus.completed, timeout=30)
    at.switch_page(PAGES["overview"]).run()  # AppTest reruns the page it last switched to itself
    assert metric(at, "Findings") == "24", texts(at)
    assert metric(at, "Succeeded") == "24"


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
