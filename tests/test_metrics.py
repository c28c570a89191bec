"""Prometheus metrics over real HTTP: a running engine's own endpoint (ENGINE_METRICS_PORT) and
the `python -m engine metrics` exporter, started as a process, for every live run of a folder."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from engine.core.models import LATENCY_BUCKETS, BatchRun, LatencyHistogram
from tests.app_fixtures import stop_if_alive, wait_for
from tests.engine_helpers import REPO, SAMPLE, cli, engine_env, load_run

pytestmark = pytest.mark.slow

# Every per-run series the README documents, by family name as the parser reports it.
PER_RUN = {
    "patchwave_run_info": "gauge",
    "patchwave_sessions": "gauge",
    "patchwave_dispatch_latency_seconds": "histogram",
    "patchwave_poll_latency_seconds": "histogram",
    "patchwave_api_errors": "counter",
    "patchwave_breaker_state": "gauge",
    "patchwave_acus": "gauge",
    "patchwave_queue_depth": "gauge",
    "patchwave_dispatch_parallel_limit": "gauge",
    "patchwave_dispatch_slowed": "gauge",
    "patchwave_api_rate_limited": "counter",
}
SESSION_STATUSES = {
    "pending",
    "dispatched",
    "working",
    "blocked",
    "success",
    "failed",
    "timeout",
    "interrupted",
}


def scrape(url: str) -> dict[str, object]:
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain")
    return {family.name: family for family in text_string_to_metric_families(response.text)}


def samples(family, **labels: str) -> list:
    return [s for s in family.samples if all(s.labels.get(k) == v for k, v in labels.items())]


def assert_run_series(families: dict, run_id: str) -> None:
    for name, kind in PER_RUN.items():
        assert name in families, f"{name} missing"
        assert families[name].type == kind, name
        assert samples(families[name], run=run_id), f"{name} has no series for {run_id}"
    statuses = {s.labels["status"] for s in samples(families["patchwave_sessions"], run=run_id)}
    assert statuses == SESSION_STATUSES
    assert sum(s.value for s in samples(families["patchwave_sessions"], run=run_id)) >= 1
    breaker = {s.labels["state"]: s.value for s in samples(families["patchwave_breaker_state"], run=run_id)}
    assert breaker == {"closed": 1, "open": 0, "half_open": 0}
    dispatch = families["patchwave_dispatch_latency_seconds"]
    [count] = [s for s in samples(dispatch, run=run_id) if s.name.endswith("_count")]
    buckets = [s for s in samples(dispatch, run=run_id) if s.name.endswith("_bucket")]
    assert count.value >= 1 and len(buckets) == len(LATENCY_BUCKETS) + 1
    kinds = {s.labels["kind"] for s in samples(families["patchwave_api_errors"], run=run_id)}
    assert {"connection", "auth", "rate_limited", "server"} <= kinds
    acus = {s.labels["basis"]: s.value for s in samples(families["patchwave_acus"], run=run_id)}
    assert set(acus) == {"reported", "estimated"} and all(v >= 0 for v in acus.values())


@pytest.fixture(scope="module")
def live_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A detached simulated run, slow enough to stay running for the module, serving its own
    metrics on a free port."""
    runs = tmp_path_factory.mktemp("metrics")
    done = cli(
        runs, "run", str(SAMPLE), "--speed", "2", "--poll-interval", "1", "--no-ledger",
        "--run-id", "watched", "--detach",
        ENGINE_METRICS_PORT="0",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    wait_for(lambda: (runs / "watched" / "state.json").exists() and load_run(runs, "watched").metrics_port)
    wait_for(lambda: any(s.session_id for s in load_run(runs, "watched").sessions))
    try:
        yield runs, "watched"
    finally:
        stop_if_alive(runs, "watched")


def test_a_running_engine_serves_its_metrics_and_healthz(live_run) -> None:
    runs, run_id = live_run
    run = load_run(runs, run_id)
    base = f"http://127.0.0.1:{run.metrics_port}"
    families = scrape(base + "/metrics")
    assert_run_series(families, run_id)
    [info] = samples(families["patchwave_run_info"], run=run_id)
    assert info.labels["status"] == "running" and info.labels["data_source"] == "simulated"
    health = requests.get(base + "/healthz", timeout=10)
    assert health.status_code == 200 and health.json() == {
        "status": "ok",
        "run": run_id,
        "run_status": "running",
    }
    assert requests.get(base + "/nothing", timeout=10).status_code == 404


@pytest.fixture
def exporter(live_run) -> Iterator[str]:
    runs, _ = live_run
    process = subprocess.Popen(
        [sys.executable, "-m", "engine", "metrics", "--port", "0"],
        cwd=REPO,
        env=engine_env(runs),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()  # type: ignore[union-attr]
        assert "/metrics" in line, line + process.stderr.read()  # type: ignore[union-attr]
        yield line.split(" on ", 1)[1].split()[0].removesuffix("/metrics")
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_the_exporter_serves_every_live_run_of_the_folder(live_run, exporter: str) -> None:
    runs, run_id = live_run
    finished = cli(runs, "run", str(SAMPLE), "--speed", "200", "--no-ledger", "--run-id", "finished")
    assert finished.returncode == 0, finished.stderr
    families = scrape(exporter + "/metrics")
    assert_run_series(families, run_id)
    # Finished runs are counted from the index, without reading their state.
    by_status = {s.labels["status"]: s.value for s in families["patchwave_runs"].samples}
    assert by_status["running"] == 1 and by_status["completed"] == 1
    assert not samples(families["patchwave_sessions"], run="finished")
    paused = cli(
        runs, "run", str(SAMPLE), "--speed", "2000", "--failure-rate", "1", "--max-retries", "0",
        "--no-ledger", "--run-id", "gated",
    )  # fmt: skip
    assert paused.returncode == 0, paused.stderr
    families = scrape(exporter + "/metrics")
    [info] = samples(families["patchwave_run_info"], run="gated")  # a paused run waits on someone
    assert info.labels["status"] == "paused"
    assert samples(families["patchwave_sessions"], run="gated", status="failed")[0].value > 0
    health = requests.get(exporter + "/healthz", timeout=10).json()
    assert health["status"] == "ok" and health["runs"] == 3

    # The figures follow the run: a later scrape sees the engine's newer state (written at
    # least every few seconds).
    def polls(families: dict) -> float:
        family = families["patchwave_poll_latency_seconds"]
        return next(s.value for s in samples(family, run=run_id) if s.name.endswith("_count"))

    first = polls(families)
    wait_for(lambda: polls(scrape(exporter + "/metrics")) > first, timeout=30, step=0.5)


def test_curl_of_the_exporter_returns_every_documented_series(live_run, exporter: str) -> None:
    """What an operator's `curl` sees: each per-run series the README lists, typed, for the run."""
    _, run_id = live_run
    done = subprocess.run(
        ["curl", "-fsS", exporter + "/metrics"], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stderr
    readme = (REPO / "README.md").read_text()
    for name, kind in PER_RUN.items():
        assert name in readme, f"{name} is not documented"
        exposed = f"{name}_total" if kind == "counter" else name  # the text format's counter name
        assert f"# TYPE {exposed} {kind}" in done.stdout, name
        lines = [line for line in done.stdout.splitlines() if line.startswith(name)]
        assert any(f'run="{run_id}"' in line for line in lines), f"{name} has no series for {run_id}"
    assert f'patchwave_dispatch_parallel_limit{{run="{run_id}"}} 10.0' in done.stdout


def test_the_exporter_refuses_a_missing_runs_folder(tmp_path: Path) -> None:
    done = cli(tmp_path / "nowhere", "metrics", "--port", "0", timeout=30)
    assert done.returncode == 2 and "no such runs folder" in done.stderr


def test_latency_histograms_count_each_call_in_its_bucket() -> None:
    histogram = LatencyHistogram()
    for seconds in (0.005, 0.02, 0.02, 100.0):
        histogram.observe(seconds)
    assert histogram.count == 4 and histogram.counts[0] == 1 and histogram.counts[1] == 2
    assert histogram.counts[-1] == 1  # slower than every bound
    assert round(histogram.sum, 3) == 100.045
    assert BatchRun.model_fields["metrics_port"].default is None
