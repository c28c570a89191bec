"""Two resumes of one run at once (two analysts, or the app and the CLI): exactly one engine
starts, the other resume is refused saying the run is running, and bootstrap.json keeps the
engine that runs it."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from engine.core.errors import BadInputError
from engine.launch.control import resume_detached
from engine.runs.detach import read_bootstrap
from engine.runs.paths import RunPaths
from engine.settings.environment import load_settings
from tests.app_fixtures import stop_if_alive, wait_for
from tests.engine_helpers import SAMPLE, cli, engine_env, load_run

pytestmark = pytest.mark.slow


def test_two_resumes_at_once_start_one_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    done = cli(
        tmp_path, "run", str(SAMPLE), "--failure-rate", "1", "--max-retries", "0", "--wave-size", "12",
        "--speed", "2000", "--no-ledger", "--run-id", "twice",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert load_run(tmp_path, "twice").status.value == "paused"
    for name, value in engine_env(tmp_path).items():
        monkeypatch.setenv(name, value)
    settings = load_settings(runs_dir=tmp_path, speed=1.0)
    results: list[object] = []
    gate = threading.Barrier(2)

    def resume() -> None:
        gate.wait()
        try:
            results.append(resume_detached(settings, "twice"))
        except BadInputError as exc:
            results.append(exc)

    threads = [threading.Thread(target=resume) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        started = [r for r in results if not isinstance(r, BadInputError)]
        refused = [r for r in results if isinstance(r, BadInputError)]
        assert len(started) == 1 and len(refused) == 1, results
        assert "running" in str(refused[0])
        boot = read_bootstrap(RunPaths.of(tmp_path, "twice"))
        assert boot is not None and boot.status == "started" and boot.pid == started[0].pid  # type: ignore[attr-defined]
        wait_for(lambda: load_run(tmp_path, "twice").pid == boot.pid, timeout=30)
    finally:
        stop_if_alive(tmp_path, "twice")
