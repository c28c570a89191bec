"""Hybrid runs: a live run with CONNECTED_REPOS sends those repositories' findings to the Devin
API and the rest to the built-in simulator, labelling every session, and keeps the simulated
ones out of the findings ledger and the lessons."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.core.repos import connected_count, is_connected, repo_key
from engine.runs.index import index_path
from engine.settings.environment import load_settings
from engine.simulator import SimulatorServer
from tests.app_fixtures import (
    PAGES,
    open_page,
    texts,
    use_runs_fixture,  # noqa: F401  (pytest fixture)
)
from tests.engine_helpers import SAMPLE, cli, load_run, read_json

PAYMENTS = "https://github.com/acme-corp/payment-service"


@pytest.mark.parametrize(
    "address",
    [
        "https://github.com/acme-corp/payment-service.git",
        "github.com/Acme-Corp/payment-service/",
        "git@github.com:acme-corp/payment-service.git",
        "https://www.github.com/acme-corp/payment-service",
    ],
)
def test_one_repository_written_several_ways_is_one_key(address: str) -> None:
    assert repo_key(address) == "github.com/acme-corp/payment-service"


def test_an_entry_without_a_host_matches_that_owner_and_name_only() -> None:
    assert is_connected(PAYMENTS, ["acme-corp/payment-service"])
    assert not is_connected(PAYMENTS + "-v2", ["acme-corp/payment-service"])
    other_owner = "https://github.com/other-acme-corp/payment-service"
    assert not is_connected(other_owner, ["acme-corp/payment-service"])
    assert not is_connected(None, ["acme-corp/payment-service"]) and not is_connected(PAYMENTS, [])


def test_connected_repos_read_as_a_comma_list_from_the_environment(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CONNECTED_REPOS", " acme-corp/payment-service, github.com/acme-corp/web ,")
    monkeypatch.setenv("SETTINGS_FILE", str(tmp_path / "none.toml"))
    settings = load_settings(runs_dir=tmp_path)
    assert settings.connected_repos == ["acme-corp/payment-service", "github.com/acme-corp/web"]


@pytest.fixture(scope="module")
def hybrid_run(tmp_path_factory: pytest.TempPathFactory):
    """The sample as a hybrid run: payment-service connected (a standalone simulator stands in
    for the Devin API), everything else on the built-in simulator."""
    tmp_path = tmp_path_factory.mktemp("hybrid")
    with SimulatorServer(seed=3, speed=50) as live_api:
        done = cli(
            tmp_path,
            "run",
            str(SAMPLE),
            "--speed",
            "50",
            "--run-id",
            "mixed",
            DEVIN_API_KEY="any-key",
            DEVIN_API_BASE_URL=live_api.base_url,
            CONNECTED_REPOS="acme-corp/payment-service",
        )
        live_stats = live_api.stats()
    return tmp_path, done, live_stats


@pytest.fixture
def hybrid_app(hybrid_run, use_runs) -> Path:
    """The app pointed at the hybrid run's folder."""
    runs, done, _ = hybrid_run
    assert done.returncode == 0, done.stderr
    use_runs(runs)
    return runs


@pytest.mark.slow
def test_a_hybrid_run_sends_connected_repositories_live_and_labels_every_session(hybrid_run) -> None:
    tmp_path, done, live_stats = hybrid_run
    assert done.returncode == 0, done.stderr
    run = load_run(tmp_path, "mixed")
    connected = {f.finding_id for f in run.findings if f.repo_url == PAYMENTS}
    assert 0 < len(connected) < len(run.findings)
    assert f"hybrid mode ({len(connected)} live" in done.stderr
    assert connected_count(run.findings, run.config.connected_repos) == len(connected)
    assert run.data_source == "live" and run.config.hybrid
    for session in run.sessions:
        assert session.data_source == ("live" if session.finding_id in connected else "simulated")
    # Each API holds exactly the sessions labelled with it, one per attempt.
    live_tags = {t for t in live_stats["sessions_by_tag"] if t.startswith("patchwave-mixed-PW")}
    assert live_tags == {s.tag for s in run.sessions if s.data_source == "live"}
    assert set(live_stats["sessions_by_tag"][t] for t in live_tags) == {1}
    simulated = read_json(tmp_path / "mixed" / "simulator_stats.json")
    simulated_tags = {t for t in simulated["sessions_by_tag"] if t.startswith("patchwave-mixed-PW")}
    assert simulated_tags == {s.tag for s in run.sessions if s.data_source == "simulated"}
    assert all(s.status.is_terminal for s in run.sessions)
    # Only live sessions reach the live findings ledger and the lessons.
    ledger = read_json(tmp_path / "_shared" / "ledger" / "live.json")
    attempts = [a for entry in ledger["entries"].values() for a in entry["attempts"]]
    live_findings = {s.finding_id for s in run.sessions if s.data_source == "live"}
    assert {a["finding_id"] for a in attempts} == live_findings
    memory = read_json(tmp_path / "_shared" / "memory" / "live.json")
    assert memory["items"] and {i["service"] for i in memory["items"].values()} == {"payment-service"}
    # Listed as hybrid, so ROI never takes its simulated fixes for real ones.
    [entry] = [e for e in json.loads(index_path(tmp_path).read_text())["runs"] if e["run_id"] == "mixed"]
    assert entry["data_source"] == "hybrid"
    assert cli(tmp_path, "validate", "mixed").returncode == 0


@pytest.mark.slow
def test_the_app_shows_a_hybrid_run_and_each_sessions_source(hybrid_app) -> None:
    at = open_page("sessions", "mixed")
    assert "hybrid · live + simulated" in texts(at)
    [table] = [d for d in at.dataframe if "data_source" in d.value.columns]
    assert set(table.value["data_source"]) == {"live", "simulated"}
    column_order = table.proto.column_order
    assert "data_source" in column_order  # shown, since the source varies in this run


@pytest.mark.slow
def test_the_memory_page_of_a_hybrid_run_opens_the_live_memory(hybrid_app) -> None:
    at = open_page("memory", "mixed")
    assert not at.exception, at.exception
    assert at.segmented_control(key="memory_source").value == "live"
    assert any("payment-service" in str(d.value.to_dict()) for d in at.dataframe)


@pytest.mark.slow
def test_every_page_renders_a_hybrid_run(hybrid_app) -> None:
    for page in PAGES:
        at = open_page(page, "mixed")
        assert not at.exception, (page, at.exception)
    history = open_page("history", "mixed")
    assert any("hybrid" in set(d.value.get("data_source", [])) for d in history.dataframe)


@pytest.mark.slow
def test_review_waits_for_an_unreachable_git_host_once_not_once_per_card(hybrid_app) -> None:
    """The live sessions' pull requests live on a Git host that is gone (the stand-in API has
    stopped): the first card's lookup finds it unreachable, the other cards say so at once, and
    the simulated sessions' cards show their saved pull requests."""
    at = open_page("review", "mixed")
    assert not at.exception, at.exception
    shown = texts(at)
    assert shown.count("did not answer a moment ago") >= 1
    assert "the simulated pull request is not in the run folder" not in shown
