"""The Workers page and a fleet run's host on the Overview (AppTest; a real worker node)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rq.registry import FailedJobRegistry
from streamlit.testing.v1 import AppTest

from engine.core.models import RunStatus
from tests.app_fixtures import (
    APP,
    empty_runs_fixture,  # noqa: F401  (pytest fixture)
    metric,
    open_page,
    texts,
    use_runs_fixture,  # noqa: F401  (pytest fixture)
)
from tests.crash_helpers import wait_for
from tests.engine_helpers import SAMPLE, cli, load_run
from tests.fleet_helpers import Node, needs_redis, running
from tests.test_app_access import AUTH, ROLES

WORKERS = "app_pages/workers.py"


def workers_page(at: AppTest | None = None) -> AppTest:
    at = at or open_page("overview")
    at.switch_page(WORKERS).run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize(("email", "sees"), [("val@acme.com", False), ("ops@acme.com", True)])
def test_operators_and_up_see_the_workers_page(
    empty_runs: Path, use_runs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, email: str, sees: bool
) -> None:
    use_runs(empty_runs)
    roles = tmp_path / "roles.toml"
    roles.write_text(ROLES)
    monkeypatch.setenv("ROLES_FILE", str(roles))
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["auth"] = dict(AUTH)
    at.user = {"is_logged_in": True, "email": email, "email_verified": True}
    at.run()
    assert not at.exception, at.exception
    try:
        at.switch_page(WORKERS)
        offered = True
    except ValueError:
        offered = False
    assert offered == sees


def test_without_a_queue_the_page_says_runs_start_here(empty_runs: Path, use_runs, monkeypatch) -> None:
    use_runs(empty_runs)
    monkeypatch.delenv("RUN_QUEUE_URL", raising=False)
    at = workers_page()
    assert "Runs start as processes on this machine" in texts(at)


@pytest.mark.slow
@needs_redis
def test_the_page_shows_workers_their_runs_and_the_jobs(
    tmp_path: Path, fleet_redis, use_runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs, url = tmp_path / "runs", fleet_redis.url
    use_runs(runs)
    monkeypatch.setenv("RUN_QUEUE_URL", url)
    with running(Node("omega", runs, url, 2)) as (node,):
        node.wait_ready(fleet_redis.client())
        done = cli(runs, "run", str(SAMPLE), "--detach", "--speed", "3", "--run-id", "w1", RUN_QUEUE_URL=url)
        assert done.returncode == 0, done.stderr
        wait_for(lambda: (runs / "w1" / "state.json").exists(), 60, what="w1's engine")
        wait_for(lambda: load_run(runs, "w1").status == RunStatus.running, 30, what="w1 to run")
        # One run waits in a queue no worker serves; one job fails: its run folder is gone.
        for run_id, queue in (("w2", "nobody-serves-this"), ("w3", "late")):
            done = cli(
                runs,
                "run",
                str(SAMPLE),
                "--detach",
                "--run-id",
                run_id,
                RUN_QUEUE_URL=url,
                RUN_QUEUE_NAME=queue,
            )
            assert done.returncode == 0, done.stderr
        shutil.rmtree(runs / "w3")
        with running(Node("late", runs, url, 1, queues=("late",))):
            wait_for(
                lambda: FailedJobRegistry("late", connection=fleet_redis.client()).count, 60, what="a failure"
            )
        at = workers_page()
        assert metric(at, "Workers") == "2"
        assert metric(at, "Busy") == "1"
        assert metric(at, "Queued jobs") == "1"
        assert metric(at, "Failed jobs") == "1"
        table = at.dataframe[0].value
        assert set(table["node"]) == {"omega"} and set(table["host"]) == {"host-omega"}
        busy = table[table["state"] == "busy"]
        assert list(busy["current_runs"].iloc[0]) == ["w1"]
        running_jobs = at.dataframe[1].value
        assert list(running_jobs["run_id"]) == ["w1"]
        assert list(at.dataframe[2].value["run_id"]) == ["w2"]
        failed = at.dataframe[3].value
        assert list(failed["run_id"]) == ["w3"]
        assert "every worker mounts" in failed["error"].iloc[0]
        # The run's Overview says where its engine runs.
        at = open_page("overview", "w1")
        assert "Engine: host `host-omega`, pid " in texts(at) and ", worker `omega." in texts(at)
        at = open_page("overview", "w2")
        assert "Queued for the worker fleet" in texts(at)
        at.button(key="overview_stop").click().run()
        assert "taken off the queue" in texts(at)
        cli(runs, "stop", "w1", RUN_QUEUE_URL=url)
