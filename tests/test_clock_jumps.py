"""Setting the wall clock under a running engine, end to end (see tests/faketime_helpers.py).

The engine runs in its own process with libfaketime, and the test moves that process's wall
clock mid-run while its monotonic clock runs on untouched, as an NTP step or a person setting
the date would. `status`, `resume` and the standalone simulator the live-mode engine talks to
run on the true clock, like the real Devin API."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from engine.analytics.catalog import shown_status
from engine.core.models import EventKind, RunStatus, SessionStatus
from engine.runs.detach import read_bootstrap
from engine.runs.events import read_events
from engine.runs.index import read_index
from engine.runs.paths import RunPaths
from engine.runs.state_store import load_state_if_present
from engine.simulator import SimulatorServer
from tests.crash_helpers import sigkill, wait_for
from tests.engine_helpers import REPO, SAMPLE, cli, engine_env, load_run
from tests.faketime_helpers import ShiftedClock, shifted_clock_fixture  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow

JUMP = timedelta(hours=3)


def outcomes(runs: Path, run_id: str) -> dict[str, list[tuple[int, str]]]:
    by_finding: dict[str, list[tuple[int, str]]] = {}
    for s in sorted(load_run(runs, run_id).sessions, key=lambda s: (s.finding_id, s.attempt)):
        by_finding.setdefault(s.finding_id, []).append((s.attempt, s.status.value))
    return by_finding


@contextmanager
def engine(runs: Path, run_id: str, speed: str, log: Path, **env: str) -> Iterator[subprocess.Popen]:
    """`run` in the foreground, as its own process (the engine), on wave 1 of the sample."""
    runs.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "engine", "run", str(SAMPLE), "--run-id", run_id]
    command += ["--speed", speed, "--wave", "1"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env=engine_env(runs, **env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            sigkill(process.pid)
        process.wait()


def in_flight(runs: Path, run_id: str) -> bool:
    try:
        run = load_run(runs, run_id)
    except (FileNotFoundError, ValueError):
        return False
    return any(s.session_id and not s.status.is_terminal for s in run.sessions)


def engine_clock_off_by(runs: Path, run_id: str, offset: timedelta) -> bool:
    """True once the engine's heartbeat shows its wall clock moved by about `offset`."""
    beat = load_run(runs, run_id).heartbeat_at
    return beat is not None and abs(beat - datetime.now(UTC) - offset) < timedelta(minutes=30)


def status_of(runs: Path, run_id: str) -> dict:
    done = cli(runs, "status", run_id, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def app_status(runs: Path, run_id: str) -> str:
    """What the app shows (ui.loaders goes through the same catalog function)."""
    entry = next(e for e in read_index(runs).runs if e.run_id == run_id)
    paths = RunPaths.of(runs, run_id)
    return shown_status(entry, load_state_if_present(paths.state), read_bootstrap(paths))


def test_a_forward_jump_mid_run_times_out_nothing(tmp_path: Path, shifted_clock: ShiftedClock) -> None:
    """With the clock set 3 h ahead while sessions are in flight (time limit: 90 minutes), no
    session times out, none is terminated remotely, nothing is retried that a run on a steady
    clock did not retry, and the run ends as that run did."""
    steady, shifted = tmp_path / "steady", tmp_path / "shifted"
    with SimulatorServer(seed=5, speed=50, failure_rate=0.3) as server:
        live = {"DEVIN_API_KEY": "any-key", "DEVIN_API_BASE_URL": server.base_url}
        with (
            engine(steady, "steady", "50", tmp_path / "steady.log", **live) as baseline,
            engine(shifted, "jumped", "50", tmp_path / "jumped.log", **live, **shifted_clock.env()) as jumped,
        ):
            wait_for(lambda: in_flight(shifted, "jumped"), 60, what="sessions in flight")
            shifted_clock.shift("+3h")
            wait_for(
                lambda: engine_clock_off_by(shifted, "jumped", JUMP), 30, what="the engine's clock to move"
            )
            assert jumped.poll() is None
            shown = status_of(shifted, "jumped")
            assert (shown["display_status"], shown["engine_alive"]) == ("running", True)
            assert jumped.wait(180) == 0, (tmp_path / "jumped.log").read_text()[-2000:]
            assert baseline.wait(180) == 0, (tmp_path / "steady.log").read_text()[-2000:]
        stats = server.stats()

    run = load_run(shifted, "jumped")
    assert run.status == RunStatus.completed
    assert engine_clock_off_by(shifted, "jumped", JUMP)  # it ran to the end on the shifted clock
    assert [s.key for s in run.sessions if s.status == SessionStatus.timeout] == []
    assert stats["sessions_terminated"] == 0
    assert outcomes(shifted, "jumped") == outcomes(steady, "steady")
    assert len(run.sessions) == len(load_run(steady, "steady").sessions)
    assert all(0 < s.in_flight_seconds < 60 for s in run.sessions)  # measured, not 3 h


def test_a_backward_jump_mid_run_keeps_status_resume_and_the_app_agreeing(
    tmp_path: Path, shifted_clock: ShiftedClock
) -> None:
    """With the clock set 3 h back, `status`, the app and `resume` all say the engine runs;
    once it is killed they all say it crashed, and `resume` (on the true clock) finishes the
    run without timing out the sessions the dead engine left in flight. The engine's own
    simulator runs on the shifted clock too, and its sessions neither freeze nor leap."""
    runs = tmp_path / "runs"
    with engine(runs, "back", "12", tmp_path / "back.log", **shifted_clock.env()) as process:
        wait_for(lambda: in_flight(runs, "back"), 60, what="sessions in flight")
        shifted_clock.shift("-3h")
        wait_for(lambda: engine_clock_off_by(runs, "back", -JUMP), 30, what="the clock to move")
        assert process.poll() is None, (tmp_path / "back.log").read_text()[-2000:]

        shown = status_of(runs, "back")
        assert (shown["display_status"], shown["engine_alive"]) == ("running", True)
        assert app_status(runs, "back") == "running"
        refused = cli(runs, "resume", "back")
        assert refused.returncode == 2 and "is running" in refused.stderr
        assert in_flight(runs, "back")  # the kill below leaves sessions running remotely

        assert sigkill(process.pid)
    shown = status_of(runs, "back")
    assert (shown["display_status"], shown["engine_alive"]) == ("crashed", False)
    assert app_status(runs, "back") == "crashed"
    assert "resume back" in cli(runs, "status", "back").stdout

    resumed = cli(runs, "resume", "back")
    assert resumed.returncode == 0, resumed.stderr
    run = load_run(runs, "back")
    assert run.status == RunStatus.completed
    assert [s.key for s in run.sessions if s.status == SessionStatus.timeout] == []
    resume_event = next(
        e for e in read_events(runs / "back" / "events.jsonl") if e.kind == EventKind.run_resumed
    )
    assert resume_event.details["unwatched_measured"] == "monotonic"
    assert 0 <= resume_event.details["unwatched_seconds"] < 120  # seconds, not the 3 h the wall says


def test_the_standalone_simulator_keeps_its_pace_when_the_clock_is_set(
    tmp_path: Path, shifted_clock: ShiftedClock
) -> None:
    """Set 3 h ahead, the simulator does not finish a fresh session at once; set back, it does
    not freeze it: the session ends in its own simulated minutes."""
    command = [sys.executable, "-m", "engine", "simulator", "--port", "0", "--speed", "50"]
    command += ["--failure-rate", "0"]
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env=engine_env(tmp_path, **shifted_clock.env()),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        base_url = line.strip().rsplit(" ", 1)[-1]
        assert base_url.startswith("http://"), line
        api = requests.Session()
        api.headers["Authorization"] = "Bearer any-key"
        created = api.post(
            f"{base_url}/sessions", json={"prompt": "Fix CVE-2024-0001 in repo acme/shop"}, timeout=10
        )
        assert created.status_code == 200, created.text
        url = f"{base_url}/sessions/{created.json()['session_id']}"

        def state() -> str:
            return api.get(url, timeout=10).json()["status_enum"]

        shifted_clock.shift("+3h")
        time.sleep(0.5)
        assert state() == "working"  # 3 h at speed 50 would have ended it long ago
        shifted_clock.shift("-3h")
        wait_for(lambda: state() in ("finished", "blocked"), 30, what="the session to end on its own")
    finally:
        process.terminate()
        process.wait(timeout=10)
