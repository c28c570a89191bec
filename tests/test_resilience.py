"""Outbound resilience: the circuit breaker, a faulty API, and an outage in the middle of a run.

The end-to-end tests run the engine's command line against a standalone simulator, as a live
run against the real API would: no mocks."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from engine.core.models import BatchRun, EventKind, RunConfig, RunStatus, TimelineEvent
from engine.devin.client import DevinAPIError
from engine.devin.preflight import PreflightError
from engine.execute.breaker import BreakerState, CircuitBreaker, is_transient
from engine.launch.control import resume_detached
from engine.runs.events import read_events
from engine.settings.environment import load_settings
from engine.simulator import SimulatorServer
from tests.app_fixtures import (
    open_page,
    use_runs_fixture,  # noqa: F401  (pytest fixture)
)
from tests.engine_helpers import SAMPLE, cli, load_run
from tests.fake_clock import FakeClock

pytestmark = pytest.mark.slow


# -- the breaker's state machine ------------------------------------------------------------


def test_breaker_opens_after_the_threshold_of_failures_in_a_row() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(3, 30, clock)
    assert breaker.state == BreakerState.closed and breaker.allows_calls()
    assert breaker.record_failure() is False
    assert breaker.record_failure() is False
    assert breaker.state == BreakerState.closed
    assert breaker.record_success() is False  # closed stays closed; the count starts over
    assert breaker.failures == 0
    assert [breaker.record_failure() for _ in range(3)] == [False, False, True]
    assert breaker.state == BreakerState.open and not breaker.allows_calls() and not breaker.closed
    assert breaker.cooldown_remaining() == 30


def test_breaker_goes_half_open_after_the_cooldown_and_a_good_probe_closes_it() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(1, 30, clock)
    assert breaker.record_failure() is True
    clock.now += 29.9
    assert breaker.state == BreakerState.open
    assert breaker.cooldown_remaining() == pytest.approx(0.1)
    clock.now += 0.1
    assert breaker.state == BreakerState.half_open and breaker.allows_calls()
    assert breaker.cooldown_remaining() == 0
    assert breaker.record_success() is True  # the probe succeeded: closed again
    assert breaker.state == BreakerState.closed and breaker.failures == 0
    assert breaker.record_success() is False


def test_a_failed_probe_opens_the_breaker_for_another_cooldown() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(2, 10, clock)
    breaker.record_failure()
    assert breaker.record_failure() is True
    clock.now += 10
    assert breaker.state == BreakerState.half_open
    assert breaker.record_failure() is False  # not a new opening: it was never closed
    assert breaker.state == BreakerState.open and breaker.cooldown_remaining() == 10
    clock.now += 10
    assert breaker.state == BreakerState.half_open
    assert breaker.record_success() is True


def test_only_transient_failures_count() -> None:
    def failure(status: int | None) -> DevinAPIError:
        return DevinAPIError(status, "x", "GET", "/sessions")

    assert all(is_transient(failure(s)) for s in (None, 429, 500, 502, 503, 504))
    assert not any(is_transient(failure(s)) for s in (400, 401, 403, 404, 409, 422))
    with pytest.raises(ValueError):
        CircuitBreaker(0, 1)


def test_old_run_states_load_with_the_new_fields() -> None:
    config = RunConfig.model_validate(
        {
            "data_source": "simulated",
            "wave_size": 10,
            "max_parallel_sessions": 10,
            "max_acu_per_session": 5,
            "poll_interval_seconds": 20,
            "session_timeout_minutes": 90,
            "min_success_rate": 0.7,
            "max_retries": 2,
        }
    )
    assert (config.breaker_failure_threshold, config.breaker_cooldown_seconds) == (5, 30)
    run = BatchRun.model_validate({"run_id": "old", "data_source": "simulated", "config": config})
    assert run.api_health.status == "ok" and run.api_health.since is None
    assert BatchRun.model_validate_json(run.model_dump_json()) == run


# -- end to end -----------------------------------------------------------------------------


def assert_accounted_for_without_duplicates(runs: Path, run_id: str, stats: dict) -> BatchRun:
    run = load_run(runs, run_id)
    assert run.status == RunStatus.completed, run.status_reason
    latest = {}
    for s in run.sessions:
        latest[s.finding_id] = max(latest.get(s.finding_id, s), s, key=lambda x: x.attempt)
    in_scope = {f for w in run.waves if w.status.value != "skipped" for f in w.finding_ids}
    assert set(latest) == in_scope
    assert all(s.status.is_terminal for s in latest.values())
    t = run.totals
    assert t.findings == len(run.findings) == t.findings_succeeded + t.findings_failed + t.findings_open
    assert t.findings_open == len(run.findings) - len(in_scope)
    assert t.sessions == len(run.sessions) == sum(t.sessions_by_status.values())
    # One remote session per (finding, attempt), and none the run does not know of.
    assert len({s.key for s in run.sessions}) == len(run.sessions)
    assert all(stats["sessions_by_tag"].get(s.tag) == 1 for s in run.sessions)
    assert stats["sessions_created"] == len(run.sessions)
    assert run.api_health.status == "ok"
    check = cli(runs, "validate", run_id)
    assert check.returncode == 0, check.stdout + check.stderr
    return run


def test_a_run_against_a_faulty_api_accounts_for_every_finding(tmp_path) -> None:
    with SimulatorServer(seed=5, speed=50, fault_rate=0.2) as server:
        done = cli(
            tmp_path,
            "run",
            str(SAMPLE),
            "--speed",
            "50",
            "--seed",
            "5",
            "--run-id",
            "faulty",
            DEVIN_API_KEY="any-key",
            DEVIN_API_BASE_URL=server.base_url,
        )
        stats = server.stats()
    assert done.returncode == 0, done.stderr
    assert stats["faults_injected"] > 20  # the run really went through faults
    run = assert_accounted_for_without_duplicates(tmp_path, "faulty", stats)
    assert len(run.findings) == 24


def _state(runs: Path, run_id: str) -> BatchRun | None:
    try:
        return load_run(runs, run_id)
    except (OSError, ValueError):
        return None


def _between(events: list[TimelineEvent], kind: EventKind, start, end) -> list[TimelineEvent]:
    return [e for e in events if e.kind == kind and start <= e.ts <= end]


def test_an_outage_pauses_dispatch_and_the_run_recovers(tmp_path) -> None:
    outage = 30.0
    threshold = 3
    # Sessions run fast (simulator speed 60); the engine runs at speed 10: polls 1 s apart,
    # probes max(3 polls, 30 s / 10 cool-down) = 3 s apart, client backoff 0.05 s.
    with SimulatorServer(seed=8, speed=60) as server, ThreadPoolExecutor(1) as pool:
        root = server.base_url.removesuffix("/v1")
        running = pool.submit(
            cli,
            tmp_path,
            "run",
            str(SAMPLE),
            "--speed",
            "10",
            "--poll-interval",
            "10",
            "--wave",
            "1",
            "--max-parallel",
            "3",
            "--run-id",
            "outage",
            timeout=150,
            DEVIN_API_KEY="any-key",
            DEVIN_API_BASE_URL=server.base_url,
            BREAKER_FAILURE_THRESHOLD=str(threshold),
        )
        deadline = time.monotonic() + 30
        while not ((run := _state(tmp_path, "outage")) and any(s.session_id for s in run.sessions)):
            assert time.monotonic() < deadline and not running.done(), "no session dispatched"
            time.sleep(0.05)
        answer = requests.post(root + "/_sim/outage", json={"seconds": outage}, timeout=5)
        assert answer.status_code == 200
        outage_until = answer.json()["outage_until"]

        # While the API is down, the state says so (the app can show it).
        seen_unavailable = False
        while time.time() < outage_until:
            run = _state(tmp_path, "outage")
            if run is not None and run.api_health.status == "unavailable":
                assert run.api_health.since is not None
                seen_unavailable = True
            time.sleep(0.2)
        assert seen_unavailable, "the state never showed the API as unavailable"
        stats_after_outage = server.stats()
        done = running.result(timeout=120)
        stats = server.stats()
    assert done.returncode == 0, done.stderr

    run = assert_accounted_for_without_duplicates(tmp_path, "outage", stats)
    events = read_events(tmp_path / "outage" / "events.jsonl")
    [down] = [e for e in events if e.kind == EventKind.api_unavailable]
    [up] = [e for e in events if e.kind == EventKind.api_recovered]
    assert down.ts < up.ts and up.ts.timestamp() >= outage_until
    assert down.details["consecutive_failures"] == threshold
    # Dispatch paused: no session was created while the breaker was open, and once it opened
    # only probes went out: every create the outage refused came before the breaker opened.
    assert not _between(events, EventKind.session_dispatched, down.ts, up.ts)
    assert all(not (down.ts <= s.dispatched_at <= up.ts) for s in run.sessions if s.dispatched_at)
    refused = stats_after_outage["outage_rejections_by_route"]
    attempts_per_call = 7  # the client's own retries: 1 + 6
    assert refused.get("POST /v1/sessions", 0) <= threshold * attempts_per_call
    assert refused.get("GET /v1/sessions", 0) > 0
    assert stats["outage_rejections"] == stats_after_outage["outage_rejections"]
    # ...and resumed: findings still queued when the outage began were dispatched after it.
    assert _between(events, EventKind.session_dispatched, up.ts, run.completed_at)
    assert len({s.finding_id for s in run.sessions}) == 10


def test_an_outage_past_the_horizon_pauses_the_run_and_resume_continues_it(tmp_path, use_runs) -> None:
    horizon_minutes = 1.0  # at --speed 10: 6 s of wall time
    # Polls 0.5 s apart, probes every 3 s (the 30 s cool-down / 10), client backoff 0.05 s.
    with SimulatorServer(seed=9, speed=60) as server, ThreadPoolExecutor(1) as pool:
        root = server.base_url.removesuffix("/v1")
        live = {"DEVIN_API_KEY": "any-key", "DEVIN_API_BASE_URL": server.base_url}
        running = pool.submit(
            cli,
            tmp_path,
            "run",
            str(SAMPLE),
            "--speed",
            "10",
            "--poll-interval",
            "5",
            "--wave",
            "1",
            "--max-parallel",
            "3",
            "--run-id",
            "horizon",
            timeout=120,
            BREAKER_FAILURE_THRESHOLD="2",
            API_UNAVAILABLE_HORIZON_MINUTES=str(horizon_minutes),
            **live,
        )
        deadline = time.monotonic() + 30
        while not ((run := _state(tmp_path, "horizon")) and any(s.session_id for s in run.sessions)):
            assert time.monotonic() < deadline and not running.done(), "no session dispatched"
            time.sleep(0.05)
        started = time.monotonic()
        assert requests.post(root + "/_sim/outage", json={"seconds": 300}, timeout=5).status_code == 200
        first = running.result(timeout=90)  # the engine gives up on its own: no stop needed
        waited = time.monotonic() - started
        assert first.returncode == 0, first.stderr
        paused = load_run(tmp_path, "horizon")
        assert paused.status == RunStatus.paused and paused.status_reason == "api_unavailable"
        # Paused after the horizon, not probing for the whole outage.
        assert 6 <= waited < 60, waited
        in_flight = [s for s in paused.sessions if s.session_id and not s.status.is_terminal]
        assert in_flight and all(s.status.value == "interrupted" for s in in_flight)
        events = read_events(tmp_path / "horizon" / "events.jsonl")
        [down] = [e for e in events if e.kind == EventKind.api_unavailable]
        [pause] = [e for e in events if e.kind == EventKind.run_paused]
        assert pause.details["reason"] == "api_unavailable" and pause.details["horizon_minutes"] == 1
        assert pause.details["unavailable_seconds"] >= 6 and down.ts < pause.ts
        assert pause.details["sessions_left_running"] == len(in_flight)
        use_runs(tmp_path)  # the app says why it paused
        overview = open_page("overview", "horizon")
        assert any("the agent API stayed unavailable" in w.value for w in overview.warning)
        assert not any("wave gate" in w.value for w in overview.warning)

        # While the API is still away, resume refuses (preflight) and leaves the run as it was.
        refused = cli(tmp_path, "resume", "horizon", **live)
        assert refused.returncode == 2 and "503" in refused.stderr, refused.stderr
        with pytest.raises(PreflightError, match="503"):  # the app's Resume button, the same check
            resume_detached(load_settings(runs_dir=tmp_path, devin_api_key="any-key"), "horizon")
        assert load_run(tmp_path, "horizon").status == RunStatus.paused

        requests.post(root + "/_sim/outage", json={"seconds": 0}, timeout=5)  # the API is back
        resumed = cli(tmp_path, "resume", "horizon", timeout=120, **live)
        stats = server.stats()
    assert resumed.returncode == 0, resumed.stderr
    run = assert_accounted_for_without_duplicates(tmp_path, "horizon", stats)
    assert run.status_reason is None and len({s.finding_id for s in run.sessions}) == 10
    # The sessions left running through the pause were picked up again, not created anew.
    by_key = {s.key: s for s in run.sessions}
    assert all(by_key[s.key].session_id == s.session_id for s in in_flight)
