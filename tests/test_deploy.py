"""deploy/: the compose file and the image it builds, checked as far as is possible without a
Docker engine: valid YAML, the four services, what each runs and what they share."""

from __future__ import annotations

import re

import yaml

from tests.engine_helpers import REPO

DEPLOY = REPO / "deploy"


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_the_compose_file_runs_the_app_workers_redis_and_postgres() -> None:
    services = compose()["services"]
    assert set(services) == {"app", "worker", "redis", "postgres"}
    worker, app = services["worker"], services["app"]
    assert worker["command"][:4] == ["python", "-m", "engine", "worker"]
    assert "--max-runs" in worker["command"]
    assert app["command"][:3] == ["streamlit", "run", "app.py"]
    assert "--server.address=0.0.0.0" in app["command"] and app["environment"]["REQUIRE_AUTH"] == "true"
    for service in (app, worker):
        env = service["environment"]
        assert env["RUN_QUEUE_URL"] == "redis://redis:6379/0"
        assert env["DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in env["DATABASE_URL"]
        assert "runs:/srv/runs" in service["volumes"] and env["RUNS_DIR"] == "/srv/runs"
        assert set(service["depends_on"]) == {"redis", "postgres"}
    # The API key reaches the workers only, from the environment, never the app or a job.
    assert "DEVIN_API_KEY" in worker["environment"] and "DEVIN_API_KEY" not in app["environment"]
    assert "--appendonly" in services["redis"]["command"]
    assert {"runs", "redis-data", "postgres-data"} <= set(compose()["volumes"])


def test_the_image_copies_what_exists() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    copied = re.findall(r"^COPY (\S+) ", dockerfile, flags=re.MULTILINE)
    assert copied and all((REPO / path).exists() for path in copied), copied
    assert "requirements.txt" in copied
