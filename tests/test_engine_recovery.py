"""Detached runs, stop, resume, and recovery from a killed engine."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import psutil
import pytest

from engine.core.models import EventKind, RunStatus, SessionStatus
from engine.runs.events import read_events
from tests.engine_helpers import SAMPLE, cli, load_run, read_json

pytestmark = pytest.mark.slow


def wait_for(predicate, timeout: float = 30.0, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("condition not met in time")


def dispatched(runs: Path, run_id: str) -> bool:
    path = runs / run_id / "state.json"
    if not path.exists():
        return False
    try:
        run = load_run(runs, run_id)
    except ValueError:
        return False
    return any(s.session_id for s in run.sessions)


def start_detached(runs: Path, run_id: str, *extra: str) -> int:
    done = cli(runs, "run", str(SAMPLE), "--detach", "--run-id", run_id, *extra)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == run_id
    boot = read_json(runs / run_id / "bootstrap.json")
    assert boot["status"] == "started" and boot["pid"] and boot["error"] is None
    return boot["pid"]


def assert_no_duplicates_and_valid(runs: Path, run_id: str) -> None:
    run = load_run(runs, run_id)
    assert len({s.key for s in run.sessions}) == len(run.sessions)
    ids = [s.session_id for s in run.sessions if s.session_id]
    assert len(ids) == len(set(ids))
    stats = read_json(runs / run_id / "simulator_stats.json")
    assert stats["sessions_created"] == len(run.sessions)  # the simulator made no extra session
    check = cli(runs, "validate", run_id)
    assert check.returncode == 0, check.stderr


def test_detached_run_stops_within_five_seconds_and_resumes(tmp_path) -> None:
    pid = start_detached(tmp_path, "bg", "--speed", "30", "--wave", "3")
    wait_for(lambda: dispatched(tmp_path, "bg"))
    live = json.loads(cli(tmp_path, "status", "bg", "--json").stdout)
    assert live["display_status"] == "running" and live["engine_alive"] is True

    started = time.monotonic()
    stopped = cli(tmp_path, "stop", "bg")
    assert stopped.returncode == 0, stopped.stderr
    assert time.monotonic() - started < 5.5
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    run = load_run(tmp_path, "bg")
    assert run.status == RunStatus.interrupted
    assert any(s.status == SessionStatus.interrupted for s in run.sessions)
    assert EventKind.run_interrupted in [e.kind for e in read_events(tmp_path / "bg" / "events.jsonl")]
    assert "no live engine" in cli(tmp_path, "stop", "bg").stdout

    resumed = cli(tmp_path, "resume", "bg")
    assert resumed.returncode == 0, resumed.stderr
    run = load_run(tmp_path, "bg")
    assert run.status == RunStatus.completed
    assert run.config.speed == 30  # resumed with the launch settings
    assert_no_duplicates_and_valid(tmp_path, "bg")
    assert cli(tmp_path, "resume", "bg").returncode == 2  # nothing left to resume


def test_killed_engine_shows_as_crashed_and_resume_finishes(tmp_path) -> None:
    pid = start_detached(tmp_path, "crash", "--speed", "30", "--wave", "1")
    wait_for(lambda: dispatched(tmp_path, "crash"))
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)
    shown = json.loads(cli(tmp_path, "status", "crash", "--json").stdout)
    assert shown["display_status"] == "crashed"
    assert "resume crash" in cli(tmp_path, "status", "crash").stdout

    resumed = cli(tmp_path, "resume", "crash")
    assert resumed.returncode == 0, resumed.stderr
    assert load_run(tmp_path, "crash").status == RunStatus.completed
    kinds = [e.kind for e in read_events(tmp_path / "crash" / "events.jsonl")]
    assert EventKind.run_resumed in kinds
    assert_no_duplicates_and_valid(tmp_path, "crash")


def test_a_second_engine_cannot_take_a_running_run(tmp_path) -> None:
    start_detached(tmp_path, "busy", "--speed", "30", "--wave", "3")
    wait_for(lambda: dispatched(tmp_path, "busy"))
    second = cli(tmp_path, "resume", "busy")
    assert second.returncode == 2 and "running" in second.stderr
    assert cli(tmp_path, "stop", "busy").returncode == 0
