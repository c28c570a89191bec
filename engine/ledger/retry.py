"""The retry rules, defined once: how long a finding cools down after a failed attempt, how
many failed attempts hand it to a human, and how many sessions a time window has held.

The policy file (`[retry]`, engine/policy/policy.py) sets the rules a run keeps; the ledger
applies them when an attempt ends (dispatch.py) and the cross-run plan checks them before a
finding is planned (engine/policy/gates.py, plan.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from engine.ledger.models import Ledger

DEFAULT_COOLDOWN_HOURS: tuple[float, ...] = (24.0, 72.0, 168.0)  # after the 1st, 2nd, 3rd... failure
DEFAULT_MAX_ATTEMPTS = 4  # failed attempts before a finding needs a human


def cooldown_after(cooldown_hours: Sequence[float], failures: int) -> float:
    """Hours to wait after the `failures`-th failed attempt (the last value repeats)."""
    return cooldown_hours[min(max(failures, 1), len(cooldown_hours)) - 1]


def sessions_in_window(ledger: Ledger, now: datetime, period_hours: float) -> int:
    """Sessions any run started within `(now - period_hours, now]` and later; refused attempts
    never ran, so they do not count. A naive datetime is taken to be UTC."""
    since = _utc(now) - timedelta(hours=period_hours)
    return sum(
        1
        for entry in ledger.entries.values()
        for attempt in entry.attempts
        if attempt.outcome != "refused" and _utc(attempt.started_at) > since
    )


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
