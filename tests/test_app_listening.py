"""Where the app listens: loopback by default; without sign-in a network address is refused
unless the operator allows it, and then the sidebar says so. A real `streamlit run` for the
default binding, AppTest with `server.address` set for the rest."""

from __future__ import annotations

import ipaddress
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

from engine.access.roles import is_loopback_address
from tests.app_fixtures import (
    APP,
    empty_runs_fixture,  # noqa: F401  (pytest fixture)
    texts,
    use_runs_fixture,  # noqa: F401  (pytest fixture)
)
from tests.engine_helpers import REPO, engine_env
from tests.test_app_access import ADMIN, AUTH, ROLES
from ui.identity import AUTH_OFF_NOTICE, REMOTE_NO_AUTH_NOTICE

NETWORK_ADDRESSES = ["0.0.0.0", None, "::", "192.168.1.20", "patchwave.example.com"]


@pytest.fixture
def listening_on() -> Iterator:
    """Sets `server.address` for the AppTest runs of one test (None: every interface)."""
    before = config.get_option("server.address")

    def listen(address: str | None) -> None:
        config.set_option("server.address", address)

    yield listen
    config.set_option("server.address", before)


@pytest.fixture
def roles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "roles.toml"
    path.write_text(ROLES)
    monkeypatch.setenv("ROLES_FILE", str(path))
    for name in ("REQUIRE_AUTH", "ALLOW_UNAUTHENTICATED_REMOTE"):
        monkeypatch.delenv(name, raising=False)
    return path


def app(*, login: bool = False) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    if login:
        at.secrets["auth"] = dict(AUTH)
        at.user = {"is_logged_in": True, "email": ADMIN, "email_verified": True}
    at.run()
    assert not at.exception, at.exception
    return at


# --- the default: loopback only, checked on a real server -----------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(pid: int) -> list[tuple[str, int]]:
    try:
        connections = psutil.Process(pid).net_connections(kind="inet")
    except psutil.NoSuchProcess:
        return []
    return [(c.laddr.ip, c.laddr.port) for c in connections if c.status == psutil.CONN_LISTEN]


@pytest.mark.slow
def test_streamlit_run_listens_on_loopback_only_by_default(tmp_path: Path) -> None:
    """`streamlit run app.py` from the project folder, with no address given anywhere."""
    port = _free_port()
    env = engine_env(tmp_path / "runs")
    env.pop("STREAMLIT_SERVER_ADDRESS", None)
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            healthy = False
            while time.monotonic() < deadline and process.poll() is None and not healthy:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                        healthy = r.read().strip() == b"ok"
                except OSError:
                    time.sleep(0.25)
            log.seek(0)
            assert healthy, log.read().decode(errors="replace")
            sockets = _listening(process.pid)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
    assert port in {p for _, p in sockets}, sockets
    assert all(ipaddress.ip_address(ip).is_loopback for ip, _ in sockets), sockets


def test_the_project_config_binds_loopback() -> None:
    assert config.get_option("server.address") == "127.0.0.1"  # .streamlit/config.toml, read from the cwd


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("::1", True),
        ("[::1]", True),
        (" 127.0.0.1 ", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        (None, False),
        ("192.168.1.20", False),
        ("10.0.0.1", False),
        ("patchwave.example.com", False),
        ("localhost.evil.example", False),
        ("unix:///tmp/patchwave.sock", False),
    ],
)
def test_is_loopback_address(address: str | None, loopback: bool) -> None:
    assert is_loopback_address(address) is loopback


# --- without sign-in, a network address is refused -----------------------------------------------


@pytest.mark.parametrize("address", NETWORK_ADDRESSES)
def test_without_login_a_network_address_is_refused_with_a_full_page_message(
    empty_runs: Path, use_runs, roles: Path, listening_on, address: str | None
) -> None:
    use_runs(empty_runs)
    listening_on(address)
    at = app()
    [error] = at.error
    assert "refuses to serve" in error.value
    assert "ALLOW_UNAUTHENTICATED_REMOTE=true" in error.value
    assert "--server.address" in error.value and "[auth]" in error.value
    assert ("every network interface" in error.value) == (address is None)
    # nothing else: no navigation, no sidebar, no buttons, no data
    assert not at.button and not at.sidebar.warning and not at.sidebar.caption
    assert "Runs folder" not in texts(at) and AUTH_OFF_NOTICE not in texts(at)


def test_without_login_the_callbacks_refuse_on_a_network_address(
    tmp_path: Path, use_runs, roles: Path, listening_on
) -> None:
    """A callback reached some other way still finds no local admin to act as."""
    from tests.test_app_access import _call

    runs = tmp_path / "runs"
    runs.mkdir()
    use_runs(runs)
    listening_on("0.0.0.0")
    at = AppTest.from_function(_call, args=("start_demo", ("demo-remote",)), default_timeout=30)
    at.run()
    assert not at.exception, at.exception
    assert any("Sign in" in e.value for e in at.error)
    assert not (runs / "demo-remote").exists()


def test_the_override_serves_the_network_and_says_so_in_the_sidebar(
    empty_runs: Path, use_runs, roles: Path, listening_on, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_runs(empty_runs)
    monkeypatch.setenv("ALLOW_UNAUTHENTICATED_REMOTE", "true")
    listening_on("0.0.0.0")
    at = app()
    assert not at.main.error
    assert [w.value for w in at.sidebar.warning] == [AUTH_OFF_NOTICE]
    assert [e.value for e in at.sidebar.error] == [REMOTE_NO_AUTH_NOTICE]
    assert "Runs folder" in texts(at)


def test_on_loopback_there_is_no_network_notice(
    empty_runs: Path, use_runs, roles: Path, listening_on
) -> None:
    use_runs(empty_runs)
    listening_on("127.0.0.1")
    at = app()
    assert [w.value for w in at.sidebar.warning] == [AUTH_OFF_NOTICE]
    assert not at.error


def test_with_login_a_network_address_is_served(
    empty_runs: Path, use_runs, roles: Path, listening_on
) -> None:
    use_runs(empty_runs)
    listening_on("0.0.0.0")
    at = app(login=True)
    assert not at.error
    assert "Runs folder" in texts(at)
    assert REMOTE_NO_AUTH_NOTICE not in texts(at)


def test_the_override_is_not_read_from_the_settings_file(tmp_path: Path, monkeypatch) -> None:
    """Only the environment (or `.env`) can open the app to the network, never the file the
    Settings page writes."""
    from engine.settings.environment import load_settings

    monkeypatch.delenv("ALLOW_UNAUTHENTICATED_REMOTE", raising=False)
    settings_file = tmp_path / "patchwave.toml"
    settings_file.write_text("allow_unauthenticated_remote = true\nallow_missing_email_verified = true\n")
    monkeypatch.setenv("SETTINGS_FILE", str(settings_file))
    s = load_settings()
    assert s.allow_unauthenticated_remote is False and s.allow_missing_email_verified is False
    monkeypatch.setenv("ALLOW_UNAUTHENTICATED_REMOTE", "true")
    assert load_settings().allow_unauthenticated_remote is True
