"""Running the engine's command line as a user would, for the end-to-end tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from engine.core.models import BatchRun
from engine.policy import Policy, save_policy

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data" / "findings.csv"


def roomy_policy(runs_dir: Path) -> Path:
    """A policy whose global session budgets never bind (simulated runs have a generous one of
    their own; the live one is raised too). Tests of the budget write their own policy file."""
    path = Path(runs_dir).parent / f".{Path(runs_dir).name}-policy.toml"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        save_policy(path, Policy(global_session_limit=100_000))
    return path


def engine_env(runs_dir: Path, **extra: str) -> dict[str, str]:
    """The engine's environment for a test: nothing from the developer's shell, `.env` or
    settings file in the repository may steer it (an explicit empty key beats `.env`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEVIN_", "RUNS_DIR"))}
    env.update(
        RUNS_DIR=str(runs_dir),
        PYTHONUNBUFFERED="1",
        DEVIN_API_KEY="",
        SETTINGS_FILE=str(runs_dir / ".no-settings-file.toml"),
        POLICY_FILE=str(roomy_policy(runs_dir)),
        SERVICES_FILE=str(runs_dir / ".no-services-file.toml"),
    )
    env.update(extra)
    return env


def cli(runs_dir: Path, *args: str, timeout: float = 180, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "engine", *args],
        cwd=REPO,
        env=engine_env(runs_dir, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def load_run(runs_dir: Path, run_id: str) -> BatchRun:
    return BatchRun.model_validate_json((runs_dir / run_id / "state.json").read_bytes())


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())
