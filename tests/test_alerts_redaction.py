"""No alert target's secret reaches a log line, a warning or a run file: real unreachable
webhooks (a closed port, a server answering 503), a real engine run in the foreground and
detached, urllib3's own retry logging, logged tracebacks and printed warnings."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from pydantic import SecretStr

from engine.alerts import Alert, AlertKind, AlertSender, alert_log_path, read_alert_log
from engine.alerts.redaction import REDACTED, redact_generic, redact_text
from engine.settings.environment import Settings
from tests.engine_helpers import REPO, SAMPLE, cli, engine_env

SLACK_PATH = "/services/T0LEAK71/B0LEAK72/xoxLeakPathToken73"
HOOK_PATH = "/in/hook-path-9q8w?token=tok-LEAK-4242&channel=ops"
SIGNING_SECRET = "whsec-LEAK-5151-never"
SECRET_PARTS = (
    SLACK_PATH,
    "T0LEAK71",
    "B0LEAK72",
    "xoxLeakPathToken73",
    "hook-path-9q8w",
    "tok-LEAK-4242",
    "LEAK",
    SIGNING_SECRET,
)


class _Always503(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A local server that answers every POST with 503, so urllib3 retries and logs it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Always503)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def assert_clean(text: str, where: str) -> None:
    leaked = [part for part in SECRET_PARTS if part in text]
    assert not leaked, f"{where} holds {leaked}:\n{text}"


def alert_env(slack_port: int, hook_port: int) -> dict[str, str]:
    return {
        "SLACK_WEBHOOK_URL": f"http://127.0.0.1:{slack_port}{SLACK_PATH}",
        "ALERT_WEBHOOK_URL": f"http://127.0.0.1:{hook_port}{HOOK_PATH}",
        "ALERT_WEBHOOK_SECRET": SIGNING_SECRET,
        "ALERT_RETRIES": "2",
        "ALERT_TIMEOUT_SECONDS": "2",
    }


def assert_failed_deliveries(runs: Path, slack_port: int, hook_port: int) -> None:
    text = alert_log_path(runs).read_text()
    assert_clean(text, "alerts.jsonl")
    records = read_alert_log(runs)
    assert {(r.channel, r.host, r.outcome, r.status) for r in records} == {
        ("slack", f"127.0.0.1:{slack_port}", "failed", None),
        ("webhook", f"127.0.0.1:{hook_port}", "failed", 503),
    }


# -- a real engine run ----------------------------------------------------------------------


@pytest.mark.slow
def test_a_foreground_run_logs_no_secret_of_an_unreachable_webhook(tmp_path: Path, busy_port: int) -> None:
    slack_port = closed_port()
    runs = tmp_path / "runs"
    done = cli(
        runs,
        "-v",
        "run",
        str(SAMPLE),
        "--speed",
        "2000",
        "--run-id",
        "r1",
        **alert_env(slack_port, busy_port),
    )
    assert done.returncode == 0, done.stderr
    # urllib3 did log its retries (with the host), just not the path or the query
    assert "Retrying" in done.stderr and f"port={slack_port}" in done.stderr, done.stderr
    assert f"/{REDACTED}" in done.stderr
    assert_clean(done.stderr + done.stdout, "the CLI's output")
    assert_clean((runs / "r1" / "engine.log").read_text(), "engine.log")
    assert_failed_deliveries(runs, slack_port, busy_port)


@pytest.mark.slow
def test_a_detached_run_writes_no_secret_to_engine_log(tmp_path: Path, busy_port: int) -> None:
    """Detached, the engine's stderr is engine.log and the root logger has no handler (the
    engine's own lines go to engine.log through its file handler)."""
    slack_port = closed_port()
    runs = tmp_path / "runs"
    env = alert_env(slack_port, busy_port)
    done = cli(runs, "run", str(SAMPLE), "--speed", "2000", "--run-id", "bg", "--detach", **env)
    assert done.returncode == 0, done.stderr
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(read_alert_log(runs)) < 2:
        time.sleep(0.2)
    time.sleep(0.5)  # the engine prints its summary after the alert sender closes
    log = (runs / "bg" / "engine.log").read_text()
    assert "Run bg: completed" in log, log
    assert_clean(log + done.stderr + done.stdout, "engine.log")
    assert_failed_deliveries(runs, slack_port, busy_port)


# -- urllib3's logging, tracebacks and warnings, in this process ----------------------------


def test_urllib3_debug_and_warning_lines_are_redacted(
    tmp_path: Path, busy_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    slack_port = closed_port()
    caplog.set_level(logging.DEBUG)
    sender = AlertSender(
        alert_log_path(tmp_path),
        slack_webhook_url=f"http://127.0.0.1:{slack_port}{SLACK_PATH}",
        webhook_url=f"http://127.0.0.1:{busy_port}{HOOK_PATH}",
        webhook_secret=SIGNING_SECRET,
        retries=2,
        backoff_factor=0.01,
    )
    with sender:
        results = sender.deliver_now(Alert(kind=AlertKind.run_completed, title="Run r1 finished"))
    assert [r.status for r in results] == [None, 503]
    messages = [(r.name, r.levelname, r.getMessage()) for r in caplog.records]
    # the 503s were retried and logged (DEBUG), the refused connections too (WARNING)
    assert any(n == "urllib3.util.retry" and "Incremented Retry" in m for n, _, m in messages), messages
    assert any(level == "WARNING" and "Retrying" in m for _, level, m in messages), messages
    assert_clean(caplog.text, "the captured log")
    assert_clean("\n".join(m for _, _, m in messages), "the log records")
    assert f"port={slack_port}" in caplog.text
    assert_clean(alert_log_path(tmp_path).read_text(), "alerts.jsonl")


def test_a_logged_requests_error_keeps_the_host_and_loses_the_path(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """requests' ConnectionError repeats the URL ("Max retries exceeded with url: ...")."""
    port = closed_port()
    url = f"http://127.0.0.1:{port}{HOOK_PATH}"
    AlertSender(alert_log_path(tmp_path), webhook_url=url).close()
    try:
        requests.post(url, timeout=2)
    except requests.ConnectionError as exc:
        assert "tok-LEAK-4242" in str(exc)  # what would have been logged
        logging.getLogger("engine.alerts.sender").exception("delivery to %s failed: %s", url, exc)
    [record] = [r for r in caplog.records if r.name == "engine.alerts.sender"]
    assert_clean(record.getMessage(), "the message")
    assert_clean(caplog.text, "the message and its traceback")
    assert f"http://127.0.0.1:{port}/{REDACTED}" in record.getMessage()
    assert "Traceback" in caplog.text and "Max retries exceeded" in caplog.text


def test_a_printed_warning_is_redacted(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}{SLACK_PATH}"
    script = (
        "import sys, warnings\n"
        "from engine.alerts import AlertSender\n"
        "AlertSender(sys.argv[1], slack_webhook_url=sys.argv[2]).close()\n"
        "warnings.warn('posting to ' + sys.argv[2])\n"
    )
    done = subprocess.run(
        [sys.executable, "-W", "always", "-c", script, str(tmp_path / "alerts.jsonl"), url],
        cwd=REPO,
        env=engine_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "UserWarning: posting to http://127.0.0.1:" in done.stderr
    assert_clean(done.stderr, "the warning")


def test_the_agent_key_and_git_token_are_redacted_once_settings_make_a_sender(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        runs_dir=tmp_path,
        devin_api_key=SecretStr("apk_user_LEAK6161key"),
        github_token=SecretStr("ghp_LEAK7171token"),
    )
    AlertSender.from_settings(settings).close()
    logging.getLogger("urllib3.connectionpool").warning(
        "echo %s and %s", "apk_user_LEAK6161key", "https://x:ghp_LEAK7171token@git.example/api"
    )
    [record] = [r for r in caplog.records if r.name == "urllib3.connectionpool"]
    assert record.getMessage() == f"echo {REDACTED} and https://{REDACTED}@git.example/api"


# -- the generic rules ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("POST /hook?token=abc123&x=1", f"POST /hook?token={REDACTED}&x=1"),
        ("url='/a?access_token=abc&api_key=k9'", f"url='/a?access_token={REDACTED}&api_key={REDACTED}'"),
        (
            "/o?X-Amz-Signature=ff00&X-Amz-Credential=AKIA",
            f"/o?X-Amz-Signature={REDACTED}&X-Amz-Credential={REDACTED}",
        ),
        ("/cb?sig=aa&client_secret=bb", f"/cb?sig={REDACTED}&client_secret={REDACTED}"),
        ("with url: /services/T01/B02/abcdef (Caused", f"with url: /services/{REDACTED} (Caused"),
        ("https://hooks.slack.com/triggers/T1/2/x", f"https://hooks.slack.com/{REDACTED}"),
        ("https://ci:hunter2@git.example/r", f"https://{REDACTED}@git.example/r"),
        ("Authorization: Bearer apk_1234567890", f"Authorization: Bearer {REDACTED}"),
    ],
)
def test_generic_rules_mask_credentials_without_configuration(text: str, expected: str) -> None:
    assert redact_generic(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "session_completed: PW-0007 fixed: https://github.com/acme-corp/payment-service/pull/1580",
        'GET /v1/sessions/devin-2324fa5c543d4e7ab725243d3ee6291e "HTTP/1.1" 200',
        "user-services and the monkey key are words, ?page=2&sort=asc",
    ],
)
def test_ordinary_log_lines_are_left_alone(text: str) -> None:
    assert redact_text(text) == text
