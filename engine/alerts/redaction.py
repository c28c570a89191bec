"""Secrets out of every log line and warning: alert targets' URLs, the signing secret, the
agent API key and the Git host token.

urllib3 logs the request path (and query) of every retry ("Retrying (...) after connection
broken by ...: /services/T0/B0/xyz"), and a requests error repeats it ("Max retries exceeded
with url: /hook?token=..."). For Slack the path *is* the credential. So the alert sender,
wherever it is made (engine, CLI, app), calls `install_log_redaction`, which

- remembers the configured URLs and secret values (process-wide, never forgotten);
- puts one `logging.Filter` on the loggers that print such text (`urllib3` and every logger
  under it, `requests`, `py.warnings`, the root logger and `engine.*`), on the handlers
  already attached to them and on logging's last-resort handler. A filter on a logger only
  sees records logged on that very logger (not on its children), hence the whole family;
- wraps `warnings.formatwarning`, so a warning printed to stderr is redacted too.

The filter renders `record.getMessage()` (urllib3 logs with %-args), redacts it and stores the
result as the message with no args; tracebacks and stack traces are rendered and redacted too.
An occurrence of a configured URL keeps its host (`http://hooks.example/[redacted]`); its path
and query, and credential-like pieces of it, become `[redacted]`. Whatever is configured, the
generic rules also mask query parameters named like a token, key, secret, signature or
password, Slack-style `/services/...` paths, `user:password@` in URLs and bearer tokens."""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import warnings
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote, urlsplit

from requests.utils import requote_uri

REDACTED = "[redacted]"
MIN_SECRET_CHARS = 4  # shorter values ("/", "api") would blank out ordinary words
WITHHELD = "a log line was withheld: it could not be checked for secrets"

_LOGGER_FAMILIES = ("urllib3", "requests", "py.warnings", "engine")
# urllib3's own loggers, named here so they are covered even before urllib3 imports them.
_KNOWN_LOGGERS = (
    "urllib3.connectionpool",
    "urllib3.connection",
    "urllib3.poolmanager",
    "urllib3.response",
    "urllib3.util.retry",
)

_URL_STOP = r"\s'\"<>`"  # characters that end a URL in log text
_SECRET_PARAMETER = re.compile(
    rf"(?i)([?&;](?:[^=&;#{_URL_STOP}]*(?:token|secret|signature|password|passwd|credential)"
    rf"[^=&;#{_URL_STOP}]*|[^=&;#{_URL_STOP}]*(?:key|sig|auth|pwd))=)[^&;#{_URL_STOP}]+"
)
_SLACK_HOST_PATH = re.compile(rf"(?i)(hooks\.slack(?:-gov)?\.com)/[^{_URL_STOP}]+")
_SLACK_SERVICES_PATH = re.compile(rf"/services/[^/?#{_URL_STOP}]+/[^?#{_URL_STOP}]+")
_URL_USERINFO = re.compile(rf"(?i)\b([a-z][a-z0-9+.\-]*://)[^/@{_URL_STOP}]+@")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/\-]+=*")
_URL_PIECE_SEPARATORS = re.compile(r"[/?#&=@:;]")


def redact_generic(text: str) -> str:
    """`text` with the rules that need no configuration applied."""
    text = _SLACK_HOST_PATH.sub(rf"\1/{REDACTED}", text)
    text = _SLACK_SERVICES_PATH.sub(f"/services/{REDACTED}", text)
    text = _URL_USERINFO.sub(rf"\1{REDACTED}@", text)
    text = _SECRET_PARAMETER.sub(rf"\1{REDACTED}", text)
    return _BEARER.sub(rf"\1{REDACTED}", text)


def url_host(url: str) -> str | None:
    """The host (and port, when given) of `url`: all of it that may be logged."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        port = parts.port
    except ValueError:
        return None
    if not host:
        return None
    host = f"[{host}]" if ":" in host else host
    return f"{host}:{port}" if port else host


def _looks_like_a_credential(piece: str) -> bool:
    """A piece of a secret URL worth hiding on its own in any log line: long, or an id mixing
    letters and digits (Slack's T0123ABCD). Plain words ("services", "hooks") stay readable."""
    has_digit = any(c.isdigit() for c in piece)
    has_letter = any(c.isalpha() for c in piece)
    return len(piece) >= 16 or (len(piece) >= 6 and has_digit and has_letter)


def url_replacements(url: str) -> dict[str, str]:
    """What to replace, and with what, wherever `url` or a piece of it shows in a log line.

    Needs no URL parser, so a malformed URL is covered too: the URL as given, quoted and
    unquoted, becomes `scheme://host/[redacted]`; everything after the scheme becomes
    `host/[redacted]`; every suffix from a "/", "?" or "#" (the path and query) becomes that
    character and `[redacted]`; credential-like pieces become `[redacted]`. The host stays."""
    url = url.strip()
    host = url_host(url) or ""
    forms = {url, unquote(url)}
    with contextlib.suppress(Exception):
        forms.add(requote_uri(url))
    replacements: dict[str, str] = {}
    for form in forms:
        scheme, separator, rest = form.partition("://")
        if not separator:
            scheme, rest = "", form
        if host and rest.rstrip("/").lower() == host.lower():
            continue  # the URL is just its host: nothing in it to hide
        host_only = f"{host}/{REDACTED}" if host else REDACTED
        replacements[form] = f"{scheme}://{host_only}" if separator and host else host_only
        replacements.setdefault(rest, host_only)
        for i, char in enumerate(rest):
            if char in "/?#":
                replacements.setdefault(rest[i:], char + REDACTED)
        for piece in _URL_PIECE_SEPARATORS.split(rest):
            if _looks_like_a_credential(piece):
                replacements.setdefault(piece, REDACTED)
    return {
        fragment: replacement
        for fragment, replacement in replacements.items()
        if len(fragment) >= MIN_SECRET_CHARS and fragment not in host
    }


class SecretRegistry:
    """The configured secrets of this process, as one pattern (longest fragment first)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._replacements: dict[str, str] = {}
        self._pattern: re.Pattern[str] | None = None

    def add_url(self, url: str | None) -> None:
        if url and url.strip():
            self._add(url_replacements(url))

    def add_secret(self, value: str | None) -> None:
        value = (value or "").strip()
        if len(value) >= MIN_SECRET_CHARS:
            self._add({value: REDACTED})

    def _add(self, replacements: dict[str, str]) -> None:
        with self._lock:
            new = {k: v for k, v in replacements.items() if k not in self._replacements}
            if not new:
                return
            self._replacements.update(new)
            fragments = sorted(self._replacements, key=len, reverse=True)
            self._pattern = re.compile("|".join(map(re.escape, fragments)))

    def redact(self, text: str) -> str:
        """`text` with every configured secret replaced, then the generic rules applied."""
        with self._lock:
            pattern, replacements = self._pattern, self._replacements
        if pattern is not None:
            text = pattern.sub(lambda match: replacements[match.group(0)], text)
        return redact_generic(text)


SECRETS = SecretRegistry()


def redact_text(text: str) -> str:
    """`text` as it may be logged: without any secret this process knows of."""
    return SECRETS.redact(text)


class RedactingFilter(logging.Filter):
    """Rewrites a record's message, traceback and stack so no known secret is left in them.
    Never drops a record; a record it cannot check is replaced by a line saying so."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            _redact_record(record)
        except Exception:
            record.msg, record.args = WITHHELD, None
            record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # args that do not fit the message: logging would print both raw
        message = f"{record.msg} {record.args!r}"
    clean = redact_text(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and not record.exc_text:
        # Formatters reuse exc_text once set, so the raw traceback is never rendered again.
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact_text(record.exc_text)
    if record.stack_info:
        record.stack_info = redact_text(record.stack_info)


LOG_REDACTION = RedactingFilter()
_install_lock = threading.Lock()


def _loggers_to_filter() -> list[logging.Logger]:
    loggers = [logging.getLogger()]
    loggers += [logging.getLogger(name) for name in (*_LOGGER_FAMILIES, *_KNOWN_LOGGERS)]
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and name.split(".", 1)[0] in _LOGGER_FAMILIES:
            loggers.append(logger)
    return loggers


def _redact_warnings() -> None:
    """Warnings printed to stderr (and those `logging.captureWarnings` logs) are formatted by
    `warnings.formatwarning`: wrap it once, keeping whatever formatter was there."""
    current = warnings.formatwarning
    if getattr(current, "_redacts_secrets", False):
        return

    def formatwarning(
        message: Warning | str, category: type[Warning], filename: str, lineno: int, line: str | None = None
    ) -> str:
        return redact_text(current(message, category, filename, lineno, line))

    formatwarning._redacts_secrets = True  # type: ignore[attr-defined]
    warnings.formatwarning = formatwarning


def attach_redaction(handler: logging.Handler) -> logging.Handler:
    """`handler` with the redacting filter on it (for handlers made after the install)."""
    handler.addFilter(LOG_REDACTION)
    return handler


def install_log_redaction(urls: Iterable[str | None] = (), secrets: Iterable[Any] = ()) -> None:
    """Remembers `urls` and `secrets` (str or SecretStr; None and "" are skipped) and makes sure
    the redacting filter is on every logger and handler that may print them. Idempotent."""
    for url in urls:
        SECRETS.add_url(url)
    for secret in secrets:
        value = secret.get_secret_value() if hasattr(secret, "get_secret_value") else secret
        SECRETS.add_secret(value if isinstance(value, str) else None)
    with _install_lock:
        for logger in _loggers_to_filter():
            logger.addFilter(LOG_REDACTION)
            for handler in logger.handlers:
                attach_redaction(handler)
        if logging.lastResort is not None:
            attach_redaction(logging.lastResort)
        _redact_warnings()
