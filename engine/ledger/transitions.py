"""Small helpers every ledger module shares: state changes with their history event, entry
lookup and argument checks that turn mistakes into clear `BadInputError`s."""

from __future__ import annotations

from datetime import datetime

from engine.core.errors import BadInputError
from engine.ledger.models import Ledger, LedgerEntry, LedgerEvent, LifecycleState


def change_state(
    entry: LedgerEntry, state: LifecycleState, now: datetime, reason: str, actor: str | None = None
) -> None:
    """Sets the state and appends the event that explains it (even when the state stays the
    same: a human re-deciding or a repeated transition is still worth its line in the history)."""
    entry.history.append(LedgerEvent(at=now, state=state, previous=entry.state, reason=reason, actor=actor))
    entry.state = state


def get_entry(ledger: Ledger, fingerprint: str) -> LedgerEntry:
    entry = ledger.entries.get(fingerprint)
    if entry is None:
        raise BadInputError(f"fingerprint {fingerprint!r} is not in the ledger")
    return entry


def require_aware(value: datetime, name: str) -> datetime:
    # Naive and aware datetimes cannot be compared; catching it here names the argument.
    if value.tzinfo is None or value.utcoffset() is None:
        raise BadInputError(f"{name} must be a timezone-aware datetime, got {value.isoformat()}")
    return value


def require_text(value: str | None, name: str) -> str:
    text = (value or "").strip()
    if not text:
        raise BadInputError(f"{name} is required and must not be empty")
    return text
