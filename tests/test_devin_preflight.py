"""Preflight of a live run against a real simulator (a loopback HTTP server): the key, the base
URL, playbook sync and the Git host, each problem named once, within 10 seconds; and the CLI
refusing `run` in live mode with exit 2 before anything is written."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from engine.devin.preflight import (
    ConnectionTarget,
    PreflightError,
    check_connection,
    require_connection,
    target_of,
)
from engine.settings.environment import Settings
from engine.simulator import SimulatorServer
from tests.engine_helpers import SAMPLE, cli

ACCEPTANCE_SECONDS = 10.0
# A reserved address nothing should answer; networks differ (a proxy may answer it), so the
# tests of a connect that really hangs use `silent_host`, whose backlog is full.
NON_ROUTABLE = "http://10.255.255.1/v1"


@pytest.fixture(scope="module")
def server() -> Iterator[SimulatorServer]:
    with SimulatorServer(seed=3) as sim:
        yield sim


def closed_port_url() -> str:
    """A loopback URL whose port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@pytest.fixture
def silent_host() -> Iterator[str]:
    """http://127.0.0.1:PORT: a listening socket whose backlog is full, so a new connect gets
    no answer at all (its SYN is dropped) until the client's connect timeout."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):  # it stays half-open: that fills the backlog
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        for sock in (*fillers, listener):
            sock.close()


def timed_check(target: ConnectionTarget):
    started = time.monotonic()
    problems = check_connection(target)
    return problems, time.monotonic() - started


def test_a_valid_key_against_the_simulator_passes(server: SimulatorServer) -> None:
    assert check_connection(ConnectionTarget(server.base_url, "any-key")) == []


def test_an_invalid_key_is_refused_with_the_403_named(server: SimulatorServer) -> None:
    [problem] = check_connection(ConnectionTarget(server.base_url, "invalid-key-123"))
    assert problem.check == "api_key" and problem.blocking
    assert "403" in problem.message and server.base_url in problem.message
    assert "DEVIN_API_KEY" in problem.message


def test_a_missing_key_is_named_without_a_request(server: SimulatorServer) -> None:
    before = server.stats()["requests_total"]
    [problem] = check_connection(ConnectionTarget(server.base_url, None))
    assert problem.check == "api_key" and "DEVIN_API_KEY is not set" in problem.message
    assert server.stats()["requests_total"] == before


@pytest.mark.parametrize("kind", ["closed-port", "silent-host", "non-routable"])
def test_an_unreachable_base_url_fails_in_under_10_s_naming_the_url(kind: str, request) -> None:
    url = {
        "closed-port": closed_port_url,
        "silent-host": lambda: request.getfixturevalue("silent_host") + "/v1",
        "non-routable": lambda: NON_ROUTABLE,
    }[kind]()
    problems, took = timed_check(ConnectionTarget(url, "any-key"))
    assert took < ACCEPTANCE_SECONDS, f"preflight took {took:.1f} s"
    [problem] = problems
    assert problem.check == "api" and problem.blocking
    assert url in problem.message and "DEVIN_API_BASE_URL" in problem.message
    if kind != "non-routable":  # whatever answers there (or not) depends on the network
        assert "unreachable" in problem.message


def test_a_url_that_is_not_http_is_named() -> None:
    [problem] = check_connection(ConnectionTarget("api.devin.ai/v1", "any-key"))
    assert "'api.devin.ai/v1' is not an http(s) URL" in problem.message


def test_a_base_url_that_is_not_the_v1_api_is_named(server: SimulatorServer) -> None:
    root = server.base_url.removesuffix("/v1")
    [problem] = check_connection(ConnectionTarget(root + "/v2", "any-key"))
    assert problem.check == "api" and "not a Devin API v1 base URL" in problem.message
    assert root + "/v2" in problem.message


def test_an_outage_is_named_with_its_status() -> None:
    with SimulatorServer(seed=4) as sim:
        sim.outage(60)
        problems, took = timed_check(ConnectionTarget(sim.base_url, "any-key"))
    [problem] = problems
    assert problem.check == "api" and "503" in problem.message and sim.base_url in problem.message
    assert took < ACCEPTANCE_SECONDS


def test_the_git_host_is_checked_only_when_pr_sync_is_configured(server: SimulatorServer) -> None:
    root = server.base_url.removesuffix("/v1")  # the simulator serves GitHub's pull request paths
    assert check_connection(ConnectionTarget(server.base_url, "k", root, "token")) == []
    unreachable = closed_port_url().removesuffix("/v1")
    problems, took = timed_check(ConnectionTarget(server.base_url, "k", unreachable, "token"))
    [problem] = problems
    assert problem.check == "git_host" and unreachable in problem.message
    assert "GIT_API_BASE_URL" in problem.message and took < ACCEPTANCE_SECONDS
    # Not configured: the same unreachable host is never asked.
    assert target_of(_settings(devin_api_base_url=server.base_url)).git_api_base_url is None


def test_both_hosts_silent_give_two_problems_within_the_deadline(silent_host: str) -> None:
    problems, took = timed_check(ConnectionTarget(silent_host + "/v1", "k", silent_host, "token"))
    assert [p.check for p in problems] == ["api", "git_host"]
    assert all("unreachable" in p.message and silent_host in p.message for p in problems)
    assert took < ACCEPTANCE_SECONDS  # asked at the same time: one connect timeout, not two


def _settings(**values: object) -> Settings:
    values.setdefault("settings_file", Path("/nonexistent/patchwave.toml"))
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_pr_sync_counts_as_configured_with_a_token_or_an_explicit_git_url(monkeypatch) -> None:
    for name in ("GITHUB_TOKEN", "GIT_API_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert target_of(_settings()).git_api_base_url is None
    assert target_of(_settings(github_token="t")).git_api_base_url == "https://api.github.com"
    assert target_of(_settings(git_api_base_url="https://ghe.example/api/v3")).git_api_base_url == (
        "https://ghe.example/api/v3"
    )
    monkeypatch.setenv("GITHUB_TOKEN", "from-env")
    target = target_of(_settings(), api_base_url="http://127.0.0.1:1/v1")
    assert target.github_token == "from-env" and target.api_base_url == "http://127.0.0.1:1/v1"


class _NoPlaybooks(BaseHTTPRequestHandler):
    """The outside world: an API whose key may read sessions but not playbooks."""

    def do_GET(self) -> None:
        status, body = (200, b'{"sessions": []}') if self.path.startswith("/v1/sessions") else (403, b"{}")
        if status == 403:
            body = b'{"detail": "Forbidden: ManageOrgPlaybooks"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_playbooks_that_cannot_be_synced_are_a_warning_not_a_refusal() -> None:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _NoPlaybooks)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
        [problem] = check_connection(ConnectionTarget(url, "k"))
        assert problem.check == "playbooks" and not problem.blocking
        assert "403" in problem.message and "full text" in problem.message
        assert require_connection(ConnectionTarget(url, "k")) == [problem]  # no refusal
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_require_connection_lists_every_blocking_problem() -> None:
    with pytest.raises(PreflightError) as caught:
        require_connection(ConnectionTarget(closed_port_url(), "k", closed_port_url(), None))
    assert len(caught.value.problems) == 2
    assert str(caught.value).count("\n- ") == 2


# -- the command line -----------------------------------------------------------------------


@pytest.mark.slow
def test_run_in_live_mode_with_a_bad_key_exits_2_and_writes_nothing(tmp_path: Path, server) -> None:
    runs = tmp_path / "runs"
    done = cli(
        runs,
        "run",
        str(SAMPLE),
        "--run-id",
        "refused",
        DEVIN_API_KEY="invalid-key",
        DEVIN_API_BASE_URL=server.base_url,
        GITHUB_TOKEN="t",
        GIT_API_BASE_URL=closed_port_url().removesuffix("/v1"),
    )
    assert done.returncode == 2, done.stderr
    assert "live mode is not ready (2 problem(s))" in done.stderr
    assert "refused the API key (403" in done.stderr and "the Git host at" in done.stderr
    assert not (runs / "refused").exists()
    assert not (runs / "_shared").exists() or not any((runs / "_shared").glob("ledger*"))


@pytest.mark.slow
def test_run_in_live_mode_against_an_unreachable_url_exits_2_naming_it(tmp_path: Path) -> None:
    url = closed_port_url()
    started = time.monotonic()
    done = cli(tmp_path / "runs", "run", str(SAMPLE), DEVIN_API_KEY="k", DEVIN_API_BASE_URL=url)
    assert done.returncode == 2, done.stderr
    assert url in done.stderr and "unreachable" in done.stderr
    assert time.monotonic() - started < ACCEPTANCE_SECONDS + 5  # the CLI's own start included
    assert not (tmp_path / "runs").exists() or not any(
        p.name != "_shared" for p in (tmp_path / "runs").iterdir()
    )
