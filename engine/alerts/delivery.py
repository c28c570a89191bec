"""What goes over the wire: the Slack payload, the signed generic-webhook request, the retry
policy, and error text with the URL's secret parts taken out.

Slack gets `{"text": ..., "blocks": [...]}` (Block Kit: a header with the title, a section
with the text, a context line with the kind and run). The generic webhook gets the alert's
own JSON with headers naming the event, the alert id (`X-Patchwave-Delivery`, to dedupe
retries) and, when a secret is set, a timestamped signature (see `engine.alerts.signing`)."""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import requests
from requests.utils import requote_uri
from urllib3.util.retry import Retry

from engine.alerts.models import Alert, Channel
from engine.alerts.redaction import redact_text, url_host
from engine.alerts.signing import HEADER_DELIVERY, HEADER_EVENT, HEADER_SIGNATURE, HEADER_TIMESTAMP, sign

RETRY_STATUSES = (429, 500, 502, 503, 504)
BACKOFF_FACTOR = 0.2  # seconds; urllib3 doubles it per retry after the first
BACKOFF_MAX_SECONDS = 5.0
RETRY_AFTER_MAX_SECONDS = 10.0  # a Retry-After longer than this is cut short
USER_AGENT = "patchwave/0.1"
REDACTED = "[redacted]"

SLACK_HEADER_MAX_CHARS = 150  # Block Kit's limit for a header's text
SLACK_SECTION_MAX_CHARS = 3000  # ... and for a section's
SLACK_CONTEXT_MAX_CHARS = 150
SLACK_FALLBACK_MAX_CHARS = 3000
ERROR_MAX_CHARS = 300
_MIN_SECRET_FRAGMENT = 4  # shorter URL parts ("/", "api") are not worth redacting


class _CappedRetry(Retry):
    """urllib3's Retry, honouring Retry-After but never sleeping more than
    `RETRY_AFTER_MAX_SECONDS` on it: an alert is not worth stalling the sender for."""

    def get_retry_after(self, response: Any) -> float | None:
        value = super().get_retry_after(response)
        return None if value is None else min(value, RETRY_AFTER_MAX_SECONDS)


def build_retry(retries: int, backoff: float = BACKOFF_FACTOR) -> Retry:
    """Up to `retries` retries on failed connections, read errors and 429/5xx answers.

    POST is retried too: every copy of an alert carries the same id (`X-Patchwave-Delivery`),
    so a receiver can drop duplicates; Slack posting a message twice is the worst case."""
    return _CappedRetry(
        total=retries,
        backoff_factor=backoff,
        backoff_max=BACKOFF_MAX_SECONDS,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=Retry.DEFAULT_ALLOWED_METHODS | {"POST"},
        respect_retry_after_header=True,
        raise_on_status=False,  # the last answer comes back, to be logged with its status
    )


# -- payloads ---------------------------------------------------------------------------------


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _slack_escape(text: str) -> str:
    """Slack's escaping for mrkdwn text (the top-level `text`): only &, < and >."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(alert: Alert) -> dict[str, Any]:
    """The incoming-webhook body for `alert`. Block texts are plain_text, so nothing in the
    alert is read as markup; `text` is the notification fallback."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _clip(alert.title, SLACK_HEADER_MAX_CHARS)},
        }
    ]
    if alert.text:
        blocks.append(
            {
                "type": "section",
                "text": {"type": "plain_text", "text": _clip(alert.text, SLACK_SECTION_MAX_CHARS)},
            }
        )
    context = alert.kind.value.replace("_", " ")
    if alert.run_id:
        context += f" · run {alert.run_id}"
    context += f" · {alert.at:%Y-%m-%d %H:%M:%S} UTC"
    blocks.append(
        {
            "type": "context",
            "elements": [{"type": "plain_text", "text": _clip(context, SLACK_CONTEXT_MAX_CHARS)}],
        }
    )
    fallback = alert.title + (f"\n{alert.text}" if alert.text else "")
    return {"text": _slack_escape(_clip(fallback, SLACK_FALLBACK_MAX_CHARS)), "blocks": blocks}


def slack_body(alert: Alert) -> bytes:
    return json.dumps(slack_payload(alert), ensure_ascii=False).encode("utf-8")


def webhook_body(alert: Alert) -> bytes:
    """The generic webhook's body: the alert's JSON (`model_dump(mode="json")`), as bytes."""
    return alert.model_dump_json().encode("utf-8")


def webhook_headers(alert: Alert, body: bytes, secret: str | None, timestamp: int) -> dict[str, str]:
    """The generic webhook's headers; the signature only when a secret is set."""
    headers = {
        "Content-Type": "application/json",
        HEADER_EVENT: alert.kind.value,
        HEADER_DELIVERY: alert.id,
        HEADER_TIMESTAMP: str(int(timestamp)),
    }
    if secret:
        headers[HEADER_SIGNATURE] = sign(body, secret, timestamp)
    return headers


# -- targets and error text -------------------------------------------------------------------


def _secret_fragments(url: str, secret: str | None) -> tuple[str, ...]:
    """Every piece of `url` (and `secret`) that may not appear in a log, longest first.

    Needs no URL parser, so a malformed URL is covered too: the URL as given, quoted and
    unquoted; everything after the scheme; every suffix from a "/", "?" or "#" (the path and
    query); and every piece between separators. Pieces of the host are kept (it is logged)."""
    forms = {url, unquote(url)}
    with contextlib.suppress(Exception):
        forms.add(requote_uri(url))
    fragments: set[str] = set()
    for form in forms:
        rest = form.split("://", 1)[-1]
        fragments.update({form, rest})
        fragments.update(rest[i:] for i, char in enumerate(rest) if char in "/?#")
        fragments.update(re.split(r"[/?#&=@:;]", rest))
    host = url_host(url) or ""
    kept = {f for f in fragments if len(f) >= _MIN_SECRET_FRAGMENT and f not in host}
    if secret:
        kept.add(secret)
    return tuple(sorted(kept, key=len, reverse=True))


def redact(text: str, fragments: tuple[str, ...]) -> str:
    for fragment in fragments:
        text = text.replace(fragment, REDACTED)
    return text


@dataclass(frozen=True)
class Target:
    """One configured channel. The URL and the redaction list stay out of any repr."""

    channel: Channel
    url: str = field(repr=False)
    host: str | None
    secret: str | None = field(default=None, repr=False)
    fragments: tuple[str, ...] = field(default=(), repr=False)

    @classmethod
    def make(cls, channel: Channel, url: str | None, secret: str | None = None) -> Target | None:
        """The target for `url`, or None when no URL is set (empty counts as unset)."""
        url = (url or "").strip()
        if not url:
            return None
        secret = (secret or "").strip() or None
        return cls(channel, url, url_host(url), secret, _secret_fragments(url, secret))

    def error_text(self, text: str) -> str:
        """`text` for the alert log: every piece of this target's URL and secret out, then
        whatever the process-wide redaction knows (other targets, generic rules)."""
        return _clip(redact_text(redact(text, self.fragments)), ERROR_MAX_CHARS)


def describe_exception(exc: BaseException) -> str:
    """A short cause, not urllib3's long repr (retry exhaustion wraps the last cause)."""
    cause: Any = exc.args[0] if isinstance(exc, requests.RequestException) and exc.args else exc
    reason = getattr(cause, "reason", None)
    return f"{type(exc).__name__}: {reason or cause}"


def describe_response(response: requests.Response) -> str:
    snippet = " ".join((response.text or "").split())[:200]
    return f"HTTP {response.status_code}" + (f": {snippet}" if snippet else "")
