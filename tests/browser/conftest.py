"""Browser tests: Playwright drives Debian's chromium against `streamlit run app.py`."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engine_helpers import roomy_policy

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = REPO / "tests" / "browser" / "screenshots"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not Path(CHROMIUM).exists():
        skip = pytest.mark.skip(reason="Debian's chromium is not installed (scripts/test.sh installs it)")
        for item in items:
            if "browser" in item.nodeid:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",  # the tests run as root
            "--disable-gpu",
            "--disable-background-networking",  # the machine's network is closed
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError("streamlit did not become healthy in time")


@pytest.fixture(scope="session")
def runs_dir() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="patchwave-browser-runs-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def app_url(runs_dir: Path) -> Iterator[str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEVIN_")}
    env.update(
        RUNS_DIR=str(runs_dir),
        PYTHONUNBUFFERED="1",
        POLICY_FILE=str(roomy_policy(runs_dir)),
        SERVICES_FILE=str(runs_dir / ".no-services-file.toml"),
        SETTINGS_FILE=str(runs_dir / ".no-settings-file.toml"),
    )
    # Output to a file, not a pipe: a full pipe would stall the server.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
            ],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(url, process)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
            _stop_engines(runs_dir)


def _stop_engines(runs_dir: Path) -> None:
    """Stops any engine the tests launched, so nothing outlives the session."""
    from engine.analytics.catalog import run_entries
    from engine.launch.run_process import stop_run
    from engine.settings.environment import load_settings

    settings = load_settings(runs_dir=runs_dir)
    for entry in run_entries(runs_dir):
        stop_run(settings, entry.run_id)


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS
