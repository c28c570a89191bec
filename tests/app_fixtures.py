"""Runs folders for the app's tests, built once per test session with the real engine CLI.

`app_runs` holds one run in every state a person can meet: completed (with one approval),
paused at the wave gate, interrupted by `stop`, running (kept alive for the whole session and
stopped at teardown), crashed (its engine killed), starting (launched, no state yet) and failed
to start. `empty_runs` is a folder with no runs at all."""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest
from streamlit.testing.v1 import AppTest

from engine.core.models import RunStatus
from engine.launch.control import launch_plan_options
from engine.launch.prepare import prepare_run
from engine.runs.detach import Bootstrap
from engine.runs.index import read_index, upsert_run
from engine.runs.liveness import engine_liveness
from engine.runs.paths import RunPaths
from engine.runs.reviews import ReviewDecision, record_review, reviewable
from engine.runs.state_store import load_state
from engine.settings.environment import load_settings
from engine.storage.atomic import atomic_write_bytes
from tests.engine_helpers import REPO, SAMPLE, cli, load_run, roomy_policy

APP = str(REPO / "app.py")
PAGES = {
    "launch": "app_pages/launch.py",
    "overview": "app_pages/overview.py",
    "findings": "app_pages/findings.py",
    "sessions": "app_pages/sessions.py",
    "review": "app_pages/review.py",
    "history": "app_pages/history.py",
    "roi": "app_pages/roi.py",
    "ops": "app_pages/ops.py",
    "eval": "app_pages/eval.py",
    "memory": "app_pages/memory.py",
}
COMPLETED = "completed"
PAUSED = "paused"
INTERRUPTED = "interrupted"
RUNNING = "running"
CRASHED = "crashed"
STARTING = "starting"
FAILED_START = "failed-start"
ALL_RUNS = [COMPLETED, PAUSED, INTERRUPTED, RUNNING, CRASHED, STARTING, FAILED_START]
FIXTURE_REVIEWER = "fixture-reviewer"
SPAWN_ERROR = "engine exited with code 1: ImportError: fixture says no"


def wait_for(predicate: Callable[[], object], timeout: float = 60.0, step: float = 0.1) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("condition not met in time")


def _ok(done) -> None:
    assert done.returncode == 0, done.stdout + done.stderr


def _engine_running(runs: Path, run_id: str) -> bool:
    try:
        run = load_run(runs, run_id)
    except (FileNotFoundError, ValueError):
        return False
    return run.status == RunStatus.running and run.pid is not None


# The fixtures run the same sample several times in one folder, each run standing for a state
# the pages must show; through the ledger, later runs would skip the work earlier ones hold.
NO_LEDGER = ("--no-ledger",)


def _dispatched(runs: Path, run_id: str) -> bool:
    try:
        return any(s.session_id for s in load_run(runs, run_id).sessions)
    except (FileNotFoundError, ValueError):
        return False


def _completed(runs: Path) -> None:
    _ok(cli(runs, "run", str(SAMPLE), "--speed", "2000", "--run-id", COMPLETED, *NO_LEDGER))
    run = load_run(runs, COMPLETED)
    first = next(s for s in run.sessions if reviewable(s))
    record_review(
        RunPaths.of(runs, COMPLETED),
        run,
        first.finding_id,
        first.attempt,
        "approved",
        FIXTURE_REVIEWER,
        "fine",
    )


def _paused(runs: Path) -> None:
    _ok(
        cli(
            runs,
            "run",
            str(SAMPLE),
            "--failure-rate",
            "1",
            "--max-retries",
            "0",
            "--wave-size",
            "12",
            "--speed",
            "2000",
            "--run-id",
            PAUSED,
            *NO_LEDGER,
        )
    )


def _interrupted(runs: Path) -> None:
    _ok(
        cli(
            runs,
            "run",
            str(SAMPLE),
            "--detach",
            # Slow enough that the wave's four sessions cannot all finish before `stop` lands,
            # even on a loaded machine where starting the stop command takes seconds.
            "--speed",
            "5",
            "--wave",
            "3",
            "--run-id",
            INTERRUPTED,
            *NO_LEDGER,
        )
    )
    wait_for(lambda: _dispatched(runs, INTERRUPTED))
    stopped = cli(runs, "stop", INTERRUPTED)
    _ok(stopped)
    assert "(interrupted)" in stopped.stdout, f"the run ended before the stop landed: {stopped.stdout}"


def _crashed(runs: Path) -> None:
    """A running run whose engine is killed outright: no chance to record anything."""
    _ok(cli(runs, "run", str(SAMPLE), "--detach", "--speed", "1", "--run-id", CRASHED, *NO_LEDGER))
    wait_for(lambda: _engine_running(runs, CRASHED))
    pid = load_run(runs, CRASHED).pid
    assert pid
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)


def _prepared(runs: Path, run_id: str, bootstrap: Bootstrap) -> None:
    """A run folder as the launcher leaves it, with the given bootstrap record and no engine."""
    settings = load_settings(runs_dir=runs, speed=50)
    config, options = launch_plan_options(settings, use_ledger=False, live=False)
    paths, _ = prepare_run(SAMPLE.read_bytes(), SAMPLE.name, config, options, runs, run_id)
    atomic_write_bytes(paths.bootstrap, bootstrap.model_dump_json().encode())


def _running(runs: Path) -> None:
    _ok(cli(runs, "run", str(SAMPLE), "--detach", "--speed", "1", "--run-id", RUNNING, *NO_LEDGER))
    wait_for(lambda: _engine_running(runs, RUNNING))


def stop_if_alive(runs: Path, run_id: str) -> None:
    """Test cleanup: kills the run's engine if it is still alive (only the very process the run
    recorded; a graceful `stop` takes seconds, and these folders are thrown away)."""
    path = runs / run_id / "state.json"
    if not path.exists():
        return
    process = engine_liveness(load_state(path)).process
    if process is not None:
        process.kill()
        psutil.wait_procs([process], timeout=10)


@pytest.fixture(scope="session", name="app_runs")
def app_runs_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    runs = tmp_path_factory.mktemp("app_runs")
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            for future in [pool.submit(job, runs) for job in (_completed, _paused, _interrupted, _crashed)]:
                future.result()
        _prepared(runs, FAILED_START, Bootstrap(status="failed_to_spawn", error=SPAWN_ERROR))
        # A live pid and no state yet: an engine still starting up (this process stands in).
        _prepared(runs, STARTING, Bootstrap(status="started", pid=os.getpid()))
        _running(runs)  # last: the newest run, the one shown when the URL names none
        yield runs
    finally:
        for run_id in (RUNNING, INTERRUPTED, CRASHED):
            stop_if_alive(runs, run_id)


@pytest.fixture(scope="session", name="empty_runs")
def empty_runs_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("empty_runs")


def copy_run(source: Path, run_id: str, target: Path) -> Path:
    """One run copied into another runs folder (with its index entry), for tests that change it."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source / run_id, target / run_id, ignore=shutil.ignore_patterns("*.lock"))
    entry = next(e for e in read_index(source).runs if e.run_id == run_id)
    upsert_run(target, entry)
    return target


@pytest.fixture(name="use_runs")
def use_runs_fixture(monkeypatch: pytest.MonkeyPatch) -> Callable[[Path], None]:
    """Points the app (which reads its settings per script run) at a runs folder."""

    def point(runs: Path) -> None:
        monkeypatch.setenv("RUNS_DIR", str(runs))
        monkeypatch.setenv("POLICY_FILE", str(roomy_policy(runs)))
        monkeypatch.setenv("SERVICES_FILE", str(runs / ".no-services-file.toml"))
        monkeypatch.delenv("DEVIN_API_KEY", raising=False)

    return point


def open_page(page: str, run_id: str | None = None) -> AppTest:
    """The app on `page` (a PAGES key), with `?run=` set when given."""
    at = AppTest.from_file(APP, default_timeout=30)
    if run_id is not None:
        at.query_params["run"] = run_id
    at.run()
    assert not at.exception, at.exception
    if page != "overview":
        at.switch_page(PAGES[page]).run()
    return at


def texts(at: AppTest) -> str:
    """Every markdown-ish text on the page, joined (for 'says X' assertions)."""
    parts = [
        e.value
        for kind in ("markdown", "caption", "info", "warning", "error", "success")
        for e in at.get(kind)
    ]
    parts += [str(m.label) + " " + str(m.value) for m in at.metric]
    return "\n".join(str(p) for p in parts)


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def decisions_of(runs: Path, run_id: str) -> list[ReviewDecision]:
    path = runs / run_id / "reviews.jsonl"
    if not path.exists():
        return []
    return [
        ReviewDecision.model_validate_json(line) for line in path.read_bytes().splitlines() if line.strip()
    ]
