"""Signing generic-webhook alerts, and checking a signature on the receiving side.

Each request carries

    X-Patchwave-Timestamp: <unix seconds when it was signed>
    X-Patchwave-Signature: sha256=<hex HMAC-SHA256, keyed with the shared secret, over
                           the bytes f"{timestamp}.".encode() + body>

The timestamp is inside the signed bytes, so a captured request cannot be replayed later
with a fresh timestamp: a receiver rejects any timestamp more than `tolerance_seconds` from
its own clock (`verify_signature` does all of this). To drop retried copies of an alert that
did arrive, receivers dedupe on `X-Patchwave-Delivery` (the alert's id).

Receivers must verify the raw request body exactly as received, before parsing it."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import datetime

SIGNATURE_PREFIX = "sha256="
DEFAULT_TOLERANCE_SECONDS = 300

HEADER_EVENT = "X-Patchwave-Event"
HEADER_TIMESTAMP = "X-Patchwave-Timestamp"
HEADER_SIGNATURE = "X-Patchwave-Signature"
HEADER_DELIVERY = "X-Patchwave-Delivery"

_MAX_TIMESTAMP_DIGITS = 20


def _as_bytes(body: bytes | str) -> bytes:
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


def sign(body: bytes, secret: str, timestamp: int) -> str:
    """The `X-Patchwave-Signature` value for `body` sent at `timestamp`: "sha256=<hex>"."""
    message = f"{int(timestamp)}.".encode() + _as_bytes(body)
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def verify_signature(
    body: bytes,
    secret: str,
    timestamp_header: str | None,
    signature_header: str | None,
    now: float | datetime | None = None,
    tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """Whether a request's signature is genuine and fresh.

    `body` is the raw request body; the headers are passed as received (None when absent);
    `now` is the receiver's clock (unix seconds or an aware datetime; None reads the clock).
    False for a missing or malformed header, a timestamp further than `tolerance_seconds`
    from `now` either way, or a signature that does not match (compared in constant time)."""
    if not secret or timestamp_header is None or signature_header is None:
        return False
    stamp = timestamp_header.strip()
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > _MAX_TIMESTAMP_DIGITS:
        return False
    timestamp = int(stamp)
    if now is None:
        current = time.time()
    elif isinstance(now, datetime):
        current = now.timestamp()
    else:
        current = float(now)
    if abs(current - timestamp) > tolerance_seconds:
        return False
    expected = sign(body, secret, timestamp).encode("ascii")
    return hmac.compare_digest(expected, signature_header.strip().encode("utf-8", "replace"))
