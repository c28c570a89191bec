"""Alert delivery against real local HTTP servers: the Slack and webhook payloads, signed
headers, retries, failures, the queue, and the log (which never holds a secret)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pydantic import ValidationError

from engine.alerts import (
    Alert,
    AlertKind,
    AlertSender,
    alert_log_path,
    delivery,
    read_alert_log,
    slack_payload,
    verify_signature,
)
from engine.settings.environment import Settings

WEBHOOK_SECRET = "whsec-7f3a9c-never-log-me"
SLACK_PATH = "/services/T0SECRET1/B0SECRET2/xoxSecretPathToken3"
WAIT = 10.0  # seconds; only an upper bound for something that should happen at once


# -- a local webhook receiver ---------------------------------------------------------------


@dataclass
class Seen:
    path: str
    headers: Message
    body: bytes


@dataclass
class Hook:
    """A local HTTP server: answers POSTs with `statuses` in turn, then `default`. With
    `gate`, each request waits (up to WAIT) for the gate before it is answered."""

    statuses: list[int] = field(default_factory=list)
    default: int = 200
    gate: threading.Event | None = None
    reply: bytes = b"ok"
    reply_headers: dict[str, str] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)
    received: threading.Event = field(default_factory=threading.Event)
    answered: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        hook = self.server.hook
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with hook.lock:
            hook.requests.append(Seen(self.path, self.headers, body))
            status = hook.statuses.pop(0) if hook.statuses else hook.default
        hook.received.set()
        if hook.gate is not None:
            hook.gate.wait(WAIT)
        self.send_response(status)
        self.send_header("Content-Length", str(len(hook.reply)))
        for name, value in hook.reply_headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(hook.reply)
        hook.answered.set()

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    hook: Hook


@pytest.fixture
def serve() -> Iterator[Callable[..., Hook]]:
    servers: list[_Server] = []

    def start(**kwargs: object) -> Hook:
        hook = Hook(**kwargs)  # type: ignore[arg-type]
        server = _Server(("127.0.0.1", 0), _Handler)
        server.hook = hook
        hook.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return hook

    yield start
    for server in servers:
        if server.hook.gate is not None:
            server.hook.gate.set()
        server.shutdown()
        server.server_close()


def closed_port_url(path: str = "/hook") -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


def make_alert(**overrides: object) -> Alert:
    values: dict[str, object] = {
        "kind": AlertKind.run_completed,
        "title": "Run r1 finished",
        "text": "42 fixes verified\n3 failed",
        "run_id": "r1",
        "details": {"verified": 42, "failed": 3},
    }
    values.update(overrides)
    return Alert(**values)  # type: ignore[arg-type]


def sender_for(runs: Path, **kwargs: object) -> AlertSender:
    kwargs.setdefault("backoff_factor", 0.01)
    kwargs.setdefault("timeout_seconds", 5.0)
    return AlertSender(alert_log_path(runs), **kwargs)  # type: ignore[arg-type]


def wait_for(condition: Callable[[], bool], timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


# -- the alert ------------------------------------------------------------------------------


def test_alert_defaults_and_normalisation() -> None:
    a, b = make_alert(title="  Run r1\n finished  "), make_alert()
    assert a.title == "Run r1 finished"
    assert len(a.id) == 32 and int(a.id, 16) >= 0 and a.id != b.id
    assert a.at.tzinfo is not None and a.at.utcoffset() == timedelta(0)
    naive = make_alert(at=datetime(2025, 1, 2, 3, 4, 5))
    assert naive.at == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    shifted = make_alert(at=datetime(2025, 1, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2))))
    assert shifted.at == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC) and shifted.at.tzinfo == UTC
    assert {k.value for k in AlertKind} == {
        "fix_verified",
        "sla_breached",
        "objective_met",
        "run_completed",
        "wave_gated",
    }
    assert Alert.model_validate_json(a.model_dump_json()) == a


def test_alert_rejects_an_empty_title_and_unserialisable_details() -> None:
    with pytest.raises(ValidationError):
        make_alert(title=" \n ")
    with pytest.raises(ValidationError):
        make_alert(details={"x": object()})
    assert make_alert(details={"when": datetime(2025, 1, 1, tzinfo=UTC), "p": Path("/a")}).details == {
        "when": "2025-01-01T00:00:00Z",
        "p": "/a",
    }


# -- Slack ----------------------------------------------------------------------------------


def test_slack_gets_a_block_kit_message(serve: Callable[..., Hook], tmp_path: Path) -> None:
    hook = serve()
    alert = make_alert()
    with sender_for(tmp_path, slack_webhook_url=hook.url(SLACK_PATH)) as sender:
        results = sender.deliver_now(alert)
    assert [(r.channel, r.ok, r.status, r.error) for r in results] == [("slack", True, 200, None)]
    assert results[0].host == f"127.0.0.1:{hook.port}"
    [seen] = hook.requests
    assert seen.path == SLACK_PATH
    assert seen.headers["Content-Type"] == "application/json"
    payload = json.loads(seen.body)
    assert set(payload) == {"text", "blocks"}
    assert "Run r1 finished" in payload["text"]
    header, section, context = payload["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": "Run r1 finished"}}
    assert section == {
        "type": "section",
        "text": {"type": "plain_text", "text": "42 fixes verified\n3 failed"},
    }
    assert context["type"] == "context"
    assert "run r1" in context["elements"][0]["text"]
    assert context["elements"][0]["type"] == "plain_text"


def test_slack_payload_respects_block_kit_limits_and_escapes_the_fallback() -> None:
    payload = slack_payload(make_alert(title="T" * 400, text="x" * 5000))
    header, section, _ = payload["blocks"]
    assert len(header["text"]["text"]) <= 150 and header["text"]["text"].endswith("…")
    assert len(section["text"]["text"]) <= 3000
    assert len(payload["text"]) <= 3000
    escaped = slack_payload(make_alert(title="<!channel> a & b", text=""))
    assert escaped["text"] == "&lt;!channel&gt; a &amp; b"
    assert escaped["blocks"][0]["text"]["text"] == "<!channel> a & b"  # plain_text: no markup
    assert [b["type"] for b in escaped["blocks"]] == ["header", "context"]  # no empty section


# -- the generic webhook --------------------------------------------------------------------


def test_webhook_request_is_signed_and_verifiable(serve: Callable[..., Hook], tmp_path: Path) -> None:
    hook = serve()
    alert = make_alert(kind=AlertKind.sla_breached)
    before = int(time.time())
    with sender_for(tmp_path, webhook_url=hook.url("/in"), webhook_secret=WEBHOOK_SECRET) as sender:
        [result] = sender.deliver_now(alert)
    assert (result.channel, result.ok, result.status) == ("webhook", True, 200)
    [seen] = hook.requests
    h = seen.headers
    assert seen.path == "/in"
    assert h["Content-Type"] == "application/json"
    assert h["X-Patchwave-Event"] == "sla_breached"
    assert h["X-Patchwave-Delivery"] == alert.id
    timestamp = int(h["X-Patchwave-Timestamp"])
    assert before <= timestamp <= int(time.time())
    assert h["X-Patchwave-Signature"].startswith("sha256=")
    assert json.loads(seen.body) == alert.model_dump(mode="json")

    now = time.time()
    ts, sig = h["X-Patchwave-Timestamp"], h["X-Patchwave-Signature"]
    assert verify_signature(seen.body, WEBHOOK_SECRET, ts, sig, now)
    assert verify_signature(seen.body, WEBHOOK_SECRET, ts, sig, datetime.now(UTC))
    assert verify_signature(seen.body, WEBHOOK_SECRET, ts, sig, timestamp + 300)
    tampered = seen.body.replace(b"sla_breached", b"fix_verified")
    assert tampered != seen.body
    assert not verify_signature(tampered, WEBHOOK_SECRET, ts, sig, now)
    assert not verify_signature(seen.body, "wrong-secret", ts, sig, now)
    assert not verify_signature(seen.body, WEBHOOK_SECRET, ts, sig, timestamp + 301)  # stale
    assert not verify_signature(seen.body, WEBHOOK_SECRET, ts, sig, timestamp - 301)  # from the future
    # a fresh timestamp on an old signature does not pass: the timestamp is signed
    assert not verify_signature(seen.body, WEBHOOK_SECRET, str(timestamp + 1), sig, now)
    for bad_ts, bad_sig in [(None, sig), (ts, None), ("", sig), ("-5", sig), ("1e9", sig), (ts, sig[7:])]:
        assert not verify_signature(seen.body, WEBHOOK_SECRET, bad_ts, bad_sig, now)
    assert not verify_signature(seen.body, WEBHOOK_SECRET, ts, "sha256=é", now)


def test_webhook_without_a_secret_is_sent_unsigned(serve: Callable[..., Hook], tmp_path: Path) -> None:
    hook = serve()
    with sender_for(tmp_path, webhook_url=hook.url()) as sender:
        [result] = sender.deliver_now(make_alert())
    assert result.ok
    [seen] = hook.requests
    assert seen.headers["X-Patchwave-Signature"] is None
    assert seen.headers["X-Patchwave-Timestamp"] and seen.headers["X-Patchwave-Delivery"]


def test_both_channels_get_each_alert(serve: Callable[..., Hook], tmp_path: Path) -> None:
    slack, webhook = serve(), serve()
    alert = make_alert()
    with sender_for(
        tmp_path, slack_webhook_url=slack.url(SLACK_PATH), webhook_url=webhook.url(), webhook_secret="s"
    ) as sender:
        assert sender.channels == ("slack", "webhook")
        assert sender.send(alert)
    assert len(slack.requests) == 1 and len(webhook.requests) == 1
    log = read_alert_log(tmp_path)
    assert [(r.channel, r.outcome, r.ok, r.alert_id) for r in log] == [
        ("slack", "delivered", True, alert.id),
        ("webhook", "delivered", True, alert.id),
    ]


# -- retries and failures -------------------------------------------------------------------


def test_two_500s_then_200_is_delivered_on_the_third_request(
    serve: Callable[..., Hook], tmp_path: Path
) -> None:
    hook = serve(statuses=[500, 500])
    alert = make_alert()
    with sender_for(tmp_path, webhook_url=hook.url(), webhook_secret=WEBHOOK_SECRET, retries=3) as sender:
        assert sender.send(alert) is True
    assert len(hook.requests) == 3
    # every copy is the same alert: one id to dedupe on, one body
    assert {s.headers["X-Patchwave-Delivery"] for s in hook.requests} == {alert.id}
    assert {s.body for s in hook.requests} == {hook.requests[0].body}
    [record] = read_alert_log(tmp_path)
    assert (record.outcome, record.ok, record.status, record.error) == ("delivered", True, 200, None)
    assert (record.alert_id, record.kind, record.run_id, record.channel) == (
        alert.id,
        AlertKind.run_completed,
        "r1",
        "webhook",
    )


def test_a_server_that_always_fails_is_logged_and_send_never_waits(
    serve: Callable[..., Hook], tmp_path: Path
) -> None:
    gate = threading.Event()
    hook = serve(default=500, gate=gate, reply=b"upstream exploded")
    sender = sender_for(tmp_path, webhook_url=hook.url(), retries=2)
    try:
        assert sender.send(make_alert()) is True  # returns while the server holds the request
        assert not hook.answered.is_set()
        assert read_alert_log(tmp_path) == []
    finally:
        gate.set()
        sender.close(timeout=WAIT)
    assert len(hook.requests) == 3  # the first try and 2 retries
    [record] = read_alert_log(tmp_path)
    assert (record.outcome, record.ok, record.status) == ("failed", False, 500)
    assert record.error == "HTTP 500: upstream exploded"


def test_a_long_retry_after_is_cut_short(
    serve: Callable[..., Hook], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "RETRY_AFTER_MAX_SECONDS", 0.05)
    hook = serve(statuses=[429], reply_headers={"Retry-After": "3600"})
    with sender_for(tmp_path, slack_webhook_url=hook.url(SLACK_PATH), retries=2) as sender:
        [result] = sender.deliver_now(make_alert())  # would hang for an hour if honoured in full
    assert (result.ok, result.status) == (True, 200)
    assert len(hook.requests) == 2


def test_a_client_error_is_not_retried(serve: Callable[..., Hook], tmp_path: Path) -> None:
    hook = serve(default=404, reply=b"no_service")
    with sender_for(tmp_path, slack_webhook_url=hook.url(SLACK_PATH), retries=3) as sender:
        [result] = sender.deliver_now(make_alert())
    assert (result.ok, result.status, result.error) == (False, 404, "HTTP 404: no_service")
    assert len(hook.requests) == 1


def test_an_unreachable_url_is_logged_failed(tmp_path: Path) -> None:
    alert = make_alert()
    with sender_for(tmp_path, webhook_url=closed_port_url(), retries=1) as sender:
        [result] = sender.deliver_now(alert)
        assert sender.send(alert)
    assert (result.ok, result.status) == (False, None)
    assert result.error and "ConnectionError" in result.error
    records = read_alert_log(tmp_path)
    assert [(r.outcome, r.ok, r.status) for r in records] == [("failed", False, None)] * 2
    assert all(r.error == result.error for r in records)


def test_a_slow_server_times_out(serve: Callable[..., Hook], tmp_path: Path) -> None:
    gate = threading.Event()  # never set before the client gives up
    hook = serve(gate=gate)
    with sender_for(tmp_path, webhook_url=hook.url(), retries=0, timeout_seconds=0.3) as sender:
        [result] = sender.deliver_now(make_alert())
    assert (result.ok, result.status) == (False, None)
    assert result.error and "timed out" in result.error.lower()
    assert len(hook.requests) == 1


def test_a_redirect_is_not_followed(serve: Callable[..., Hook], tmp_path: Path) -> None:
    hook = serve(default=302)
    with sender_for(tmp_path, webhook_url=hook.url()) as sender:
        [result] = sender.deliver_now(make_alert())
    assert (result.ok, result.status) == (False, 302)


# -- secrets --------------------------------------------------------------------------------


def _secret_parts() -> list[str]:
    return [WEBHOOK_SECRET, SLACK_PATH, *[p for p in SLACK_PATH.split("/") if p], "in-secret-path-x9"]


def test_the_log_never_holds_a_secret_or_a_url_path(serve: Callable[..., Hook], tmp_path: Path) -> None:
    ok_hook = serve()
    # servers that echo the secrets back in their error answers
    slack_echo = serve(default=404, reply=f"no such hook {SLACK_PATH}".encode())
    webhook_echo = serve(default=401, reply=f"bad secret {WEBHOOK_SECRET} for /in-secret-path-x9".encode())
    cases = [
        {"slack_webhook_url": ok_hook.url(SLACK_PATH)},
        {"slack_webhook_url": slack_echo.url(SLACK_PATH)},
        {"slack_webhook_url": closed_port_url(SLACK_PATH)},
        {"slack_webhook_url": "hooks.example.com" + SLACK_PATH},  # no scheme: requests quotes it
        {"slack_webhook_url": "http://[::1" + SLACK_PATH},  # unparsable
        {
            "webhook_url": ok_hook.url("/in-secret-path-x9?token=in-secret-path-x9"),
            "webhook_secret": WEBHOOK_SECRET,
        },
        {"webhook_url": closed_port_url("/in-secret-path-x9"), "webhook_secret": WEBHOOK_SECRET},
        {"webhook_url": webhook_echo.url("/in-secret-path-x9"), "webhook_secret": WEBHOOK_SECRET},
    ]
    for config in cases:
        with sender_for(tmp_path, retries=0, **config) as sender:
            assert SLACK_PATH not in repr(sender) and WEBHOOK_SECRET not in repr(sender)
            results = sender.deliver_now(make_alert())
            assert sender.send(make_alert())
        for result in results:
            dumped = result.model_dump_json()
            assert not any(part in dumped for part in _secret_parts()), dumped
    text = alert_log_path(tmp_path).read_text()
    assert not any(part in text for part in _secret_parts()), text
    records = read_alert_log(tmp_path)
    assert len(records) == 2 * len(cases)
    assert [r.ok for r in records].count(True) == 4  # the two cases on the answering server
    assert f"127.0.0.1:{ok_hook.port}" in {r.host for r in records}


# -- the queue ------------------------------------------------------------------------------


def test_a_full_queue_drops_alerts_and_logs_them(serve: Callable[..., Hook], tmp_path: Path) -> None:
    gate = threading.Event()
    hook = serve(gate=gate)
    first, second, third, fourth = (make_alert(title=f"alert {n}") for n in range(4))
    sender = sender_for(tmp_path, webhook_url=hook.url(), queue_size=1)
    try:
        assert sender.send(first)
        assert hook.received.wait(WAIT)  # the worker holds `first`, the queue is empty
        assert sender.send(second)  # fills the queue
        assert sender.send(third) is False
        assert sender.send(fourth) is False
        assert sender.pending == 1
    finally:
        gate.set()
        sender.close(timeout=WAIT)
    records = read_alert_log(tmp_path)
    by_alert = {r.alert_id: r for r in records}
    assert len(records) == 4 == len(by_alert)
    assert by_alert[first.id].outcome == by_alert[second.id].outcome == "delivered"
    for dropped in (third, fourth):
        record = by_alert[dropped.id]
        assert (record.outcome, record.ok, record.status, record.channel) == (
            "dropped",
            False,
            None,
            "webhook",
        )
        assert record.error == "queue full (1 alerts waiting)"
    assert len(hook.requests) == 2


def test_close_logs_what_it_could_not_deliver(serve: Callable[..., Hook], tmp_path: Path) -> None:
    gate = threading.Event()
    hook = serve(gate=gate)
    in_flight, waiting = make_alert(title="in flight"), make_alert(title="waiting")
    sender = sender_for(tmp_path, webhook_url=hook.url())
    assert sender.send(in_flight)
    assert hook.received.wait(WAIT)
    assert sender.send(waiting)
    sender.close(timeout=0.2)
    [record] = read_alert_log(tmp_path)
    assert (record.alert_id, record.outcome) == (waiting.id, "dropped")
    assert record.error == "not delivered before the alert sender closed"
    # sending after close drops and logs too
    late = make_alert(title="late")
    assert sender.send(late) is False
    assert read_alert_log(tmp_path)[-1].alert_id == late.id
    # the request in flight finishes in the background, and is logged
    gate.set()
    assert wait_for(lambda: any(r.alert_id == in_flight.id for r in read_alert_log(tmp_path)))
    outcomes = {r.alert_id: r.outcome for r in read_alert_log(tmp_path)}
    assert outcomes == {in_flight.id: "delivered", waiting.id: "dropped", late.id: "dropped"}
    sender.close()  # idempotent


def test_without_a_channel_send_does_nothing(tmp_path: Path) -> None:
    threads_before = set(threading.enumerate())
    with sender_for(tmp_path, slack_webhook_url="  ", webhook_url="", webhook_secret="x") as sender:
        assert not sender.enabled and sender.channels == ()
        assert sender.send(make_alert()) is False
        assert sender.deliver_now(make_alert()) == []
    assert not alert_log_path(tmp_path).exists()
    assert not [t for t in set(threading.enumerate()) - threads_before if t.name == "patchwave-alerts"]


def test_many_alerts_are_delivered_in_order(serve: Callable[..., Hook], tmp_path: Path) -> None:
    hook = serve()
    alerts = [make_alert(title=f"alert {n}") for n in range(25)]
    with sender_for(tmp_path, webhook_url=hook.url()) as sender:
        assert all(sender.send(a) for a in alerts)
    assert [json.loads(s.body)["id"] for s in hook.requests] == [a.id for a in alerts]
    assert [r.alert_id for r in read_alert_log(tmp_path)] == [a.id for a in alerts]


# -- settings and the log file --------------------------------------------------------------


def test_from_settings(serve: Callable[..., Hook], tmp_path: Path) -> None:
    hook = serve(statuses=[503])
    runs = tmp_path / "runs"
    settings = Settings(
        runs_dir=runs,
        slack_webhook_url=None,
        alert_webhook_url=hook.url("/in-secret-path-x9"),
        alert_webhook_secret=WEBHOOK_SECRET,
        alert_retries=1,
        alert_timeout_seconds=2,
    )
    alert = make_alert()
    with AlertSender.from_settings(settings) as sender:
        assert sender.channels == ("webhook",)
        assert sender.log_path == alert_log_path(runs)
        assert sender.timeout_seconds == 2.0
        assert WEBHOOK_SECRET not in repr(sender) and "in-secret-path-x9" not in repr(sender)
        assert sender.send(alert)
    assert len(hook.requests) == 2
    seen = hook.requests[-1]
    assert verify_signature(
        seen.body,
        WEBHOOK_SECRET,
        seen.headers["X-Patchwave-Timestamp"],
        seen.headers["X-Patchwave-Signature"],
    )
    [record] = read_alert_log(runs)
    assert (record.alert_id, record.ok) == (alert.id, True)
    other = AlertSender.from_settings(settings.model_copy(update={"alert_webhook_url": " "}), tmp_path / "x")
    assert not other.enabled and other.log_path == tmp_path / "x"


def test_read_alert_log_skips_a_torn_line(serve: Callable[..., Hook], tmp_path: Path) -> None:
    assert read_alert_log(tmp_path) == []
    hook = serve()
    with sender_for(tmp_path, webhook_url=hook.url()) as sender:
        sender.deliver_now(make_alert())
        with alert_log_path(tmp_path).open("ab") as handle:
            handle.write(b'{"at": "2025-01-01T00:00:00Z", "alert_id": "tor')
        sender.deliver_now(make_alert())  # the torn line is cut off before appending
    assert len(read_alert_log(tmp_path)) == 2
    assert len(alert_log_path(tmp_path).read_bytes().splitlines()) == 2
