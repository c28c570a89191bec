"""`AlertSender`: delivers alerts to Slack and a generic webhook off the caller's thread.

`send` only queues (no I/O, never raises); one daemon worker thread delivers in order, with
urllib3 retries and a timeout on every request, and appends each outcome to the alert log.
A full queue drops the alert (recorded as "dropped"); `close` waits a while for the queue to
drain and records whatever is still waiting as dropped. With no channel configured the
sender does nothing at all: no thread, no log lines."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import requests
from pydantic import SecretStr
from requests.adapters import HTTPAdapter

from engine.alerts.delivery import (
    BACKOFF_FACTOR,
    USER_AGENT,
    Target,
    build_retry,
    describe_exception,
    describe_response,
    slack_body,
    webhook_body,
    webhook_headers,
)
from engine.alerts.log import alert_log_path, append_deliveries
from engine.alerts.models import Alert, AlertDelivery, Channel, DeliveryResult, Outcome
from engine.alerts.redaction import install_log_redaction

if TYPE_CHECKING:
    from engine.settings.environment import Settings

log = logging.getLogger(__name__)

DEFAULT_QUEUE_SIZE = 1000
DEFAULT_CLOSE_TIMEOUT_SECONDS = 5.0


def _secret_value(value: SecretStr | str | None) -> str | None:
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    return (value or "").strip() or None


def _environ_proxies(url: str) -> dict[str, str]:
    try:
        return requests.utils.get_environ_proxies(url)
    except Exception:  # a malformed URL fails later, at delivery, where it is logged
        return {}


class AlertSender:
    """Delivers alerts to every configured channel (Slack, generic webhook).

    Use as a context manager, or call `close` when done. `send` queues and returns at once;
    `deliver_now` delivers synchronously on the calling thread. Both log every outcome to
    `log_path` and neither raises."""

    def __init__(
        self,
        log_path: Path,
        *,
        slack_webhook_url: str | None = None,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        retries: int = 3,
        timeout_seconds: float = 5.0,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        backoff_factor: float = BACKOFF_FACTOR,
    ) -> None:
        if retries < 0:
            raise ValueError("retries must be at least 0")
        if timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be more than 0")
        if queue_size < 1:
            raise ValueError("queue_size must be at least 1")
        self.log_path = Path(log_path)
        self.queue_size = queue_size
        self.timeout_seconds = float(timeout_seconds)
        targets = (
            Target.make("slack", slack_webhook_url),
            Target.make("webhook", webhook_url, webhook_secret),
        )
        self._targets: tuple[Target, ...] = tuple(t for t in targets if t is not None)
        # Before the first request: urllib3 logs each retry with the URL's path and query.
        install_log_redaction(urls=(t.url for t in self._targets), secrets=(webhook_secret,))

        self._http = requests.Session()
        # As in the Devin client: proxy and CA settings are read from the environment once.
        self._http.trust_env = False
        self._proxies = {t.channel: _environ_proxies(t.url) for t in self._targets}
        self._http.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        adapter = HTTPAdapter(max_retries=build_retry(retries, backoff_factor))
        self._http.mount("http://", adapter)
        self._http.mount("https://", adapter)
        self._http.headers.update({"User-Agent": USER_AGENT})
        self._http_lock = threading.Lock()  # a Session is not meant to be shared across threads

        # Everything below is guarded by `_cond`.
        self._cond = threading.Condition()
        self._queue: deque[Alert] = deque()
        self._drops: list[AlertDelivery] = []  # dropped alerts not yet written to the log
        self._worker: threading.Thread | None = None
        self._closed = False  # no more alerts accepted; the worker stops once the queue is empty
        self._abandoned = False  # close timed out: the worker takes no further alerts

    @classmethod
    def from_settings(cls, settings: Settings, log_path: Path | None = None) -> AlertSender:
        """A sender for the channels `settings` configure, logging to `log_path` (by default
        `<runs_dir>/_shared/alerts.jsonl`). The agent API key and the Git host token are added to
        what log lines are redacted of, in case a base URL or an error ever carries them."""
        install_log_redaction(secrets=(settings.devin_api_key, settings.github_token))
        return cls(
            alert_log_path(settings.runs_dir) if log_path is None else log_path,
            slack_webhook_url=_secret_value(settings.slack_webhook_url),
            webhook_url=_secret_value(settings.alert_webhook_url),
            webhook_secret=_secret_value(settings.alert_webhook_secret),
            retries=settings.alert_retries,
            timeout_seconds=settings.alert_timeout_seconds,
        )

    # -- introspection ----------------------------------------------------------------------

    @property
    def enabled(self) -> bool:
        return bool(self._targets)

    @property
    def channels(self) -> tuple[Channel, ...]:
        return tuple(t.channel for t in self._targets)

    @property
    def pending(self) -> int:
        """Alerts queued and not yet taken by the worker."""
        with self._cond:
            return len(self._queue)

    def __repr__(self) -> str:
        channels = ", ".join(f"{t.channel}@{t.host}" for t in self._targets) or "none"
        return f"AlertSender(channels=[{channels}], log_path={str(self.log_path)!r})"

    # -- sending ----------------------------------------------------------------------------

    def send(self, alert: Alert) -> bool:
        """Queues `alert` for every channel and returns at once, without touching the network
        or the disk; never raises. True when queued; False when no channel is configured
        (nothing is logged) or the alert was dropped (logged later by the worker)."""
        if not self._targets:
            return False
        try:
            with self._cond:
                if not self._closed and len(self._queue) < self.queue_size:
                    self._start_worker_locked()
                    self._queue.append(alert)
                    self._cond.notify_all()
                    return True
                closed = self._closed
                reason = (
                    "the alert sender was already closed"
                    if closed
                    else f"queue full ({self.queue_size} alerts waiting)"
                )
                self._drop_locked(alert, reason)
                self._cond.notify_all()
            if closed:  # no worker is left to write it (sending after close is a bug upstream)
                self._write_drops()
        except Exception:  # e.g. the worker thread could not be started
            log.exception("alert %s could not be queued", getattr(alert, "id", "?"))
            try:
                with self._cond:
                    self._drop_locked(alert, "the alert could not be queued")
                self._write_drops()
            except Exception:
                log.exception("alert %s could not be recorded as dropped", getattr(alert, "id", "?"))
        return False

    def deliver_now(self, alert: Alert) -> list[DeliveryResult]:
        """Delivers `alert` to every channel on this thread, retrying as configured, logs
        each outcome and returns them in channel order (Slack, then webhook). Never raises."""
        results = [self._deliver(target, alert) for target in self._targets]
        self._append(
            [
                self._record(alert, r.channel, "delivered" if r.ok else "failed", r.status, r.error)
                for r in results
            ]
        )
        return results

    def close(self, timeout: float = DEFAULT_CLOSE_TIMEOUT_SECONDS) -> None:
        """Stops accepting alerts and waits up to `timeout` seconds for the queue to drain.
        Alerts still waiting then are logged as dropped; one already being delivered finishes
        (and is logged) in the background. Idempotent; never raises."""
        try:
            with self._cond:
                already = self._closed
                self._closed = True
                self._cond.notify_all()
                worker = self._worker
            if worker is not None and not already:
                worker.join(max(0.0, timeout))
            with self._cond:
                self._abandoned = True
                for alert in self._queue:
                    self._drop_locked(alert, "not delivered before the alert sender closed")
                self._queue.clear()
            self._write_drops()
            if worker is None or not worker.is_alive():
                self._http.close()
        except Exception:
            log.exception("closing the alert sender failed")

    def __enter__(self) -> AlertSender:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- the worker -------------------------------------------------------------------------

    def _start_worker_locked(self) -> None:
        if self._worker is None:
            worker = threading.Thread(target=self._work, name="patchwave-alerts", daemon=True)
            worker.start()
            self._worker = worker

    def _work(self) -> None:
        try:
            while True:
                with self._cond:
                    while not (self._queue or self._drops or self._closed):
                        self._cond.wait()
                    alert = None
                    if self._queue and not self._abandoned:
                        alert = self._queue.popleft()
                    stop = alert is None and not self._drops and (self._closed or self._abandoned)
                if stop:
                    return
                self._write_drops()
                if alert is not None:
                    self.deliver_now(alert)
        except Exception:  # deliver_now and _write_drops do not raise; this is a last resort
            log.exception("the alert worker stopped")
        finally:
            self._write_drops()
            with self._cond:
                closed = self._closed
            if closed:
                self._http.close()

    # -- one delivery -----------------------------------------------------------------------

    def _deliver(self, target: Target, alert: Alert) -> DeliveryResult:
        try:
            if target.channel == "slack":
                body = slack_body(alert)
                headers = {"Content-Type": "application/json"}
            else:
                body = webhook_body(alert)
                headers = webhook_headers(alert, body, target.secret, int(time.time()))
            with self._http_lock:
                response = self._http.post(
                    target.url,
                    data=body,
                    headers=headers,
                    timeout=self.timeout_seconds,
                    proxies=self._proxies.get(target.channel),
                    allow_redirects=False,  # a redirect is a misconfigured URL, not a delivery
                )
            with response:
                ok = 200 <= response.status_code < 300
                error = None if ok else target.error_text(describe_response(response))
                return DeliveryResult(
                    channel=target.channel, host=target.host, ok=ok, status=response.status_code, error=error
                )
        except Exception as exc:  # requests' errors, and anything a malformed URL raises
            error = target.error_text(describe_exception(exc))
            return DeliveryResult(channel=target.channel, host=target.host, ok=False, error=error)

    # -- the log ----------------------------------------------------------------------------

    def _record(
        self,
        alert: Alert,
        channel: Channel,
        outcome: Outcome,
        status: int | None = None,
        error: str | None = None,
    ) -> AlertDelivery:
        host = next((t.host for t in self._targets if t.channel == channel), None)
        return AlertDelivery(
            alert_id=alert.id,
            kind=alert.kind,
            run_id=alert.run_id,
            channel=channel,
            host=host,
            outcome=outcome,
            ok=outcome == "delivered",
            status=status,
            error=error,
        )

    def _drop_locked(self, alert: Alert, reason: str) -> None:
        self._drops.extend(self._record(alert, t.channel, "dropped", error=reason) for t in self._targets)

    def _write_drops(self) -> None:
        with self._cond:
            drops, self._drops = self._drops, []
        self._append(drops)

    def _append(self, records: list[AlertDelivery]) -> None:
        try:
            append_deliveries(self.log_path, records)
        except Exception:
            log.exception("%d alert record(s) could not be written to %s", len(records), self.log_path)
