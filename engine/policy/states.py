"""Which ledger states count as open, resolved or out of scope for SLAs and objectives.

Shared by the SLA summary, the objectives and the planner so that "open" means the same
thing everywhere:

- open: new, recurring, dispatched, pr_open, pr_closed_unmerged, needs_human_review and
  pr_merged (a merged PR is not a fix until a later scan confirms it);
- resolved: verified_fixed, fixed;
- excluded: false_positive (never a real finding) and risk_accepted (an explicit decision
  not to fix, with its own expiry).

A risk acceptance that has expired at `now` counts as open even before `expire_risks` has
moved the entry back to recurring: the policy must not depend on when housekeeping ran.
"""

from __future__ import annotations

from datetime import UTC, datetime

from engine.ledger.models import LedgerEntry, LifecycleState

OPEN_STATES: frozenset[LifecycleState] = frozenset(
    {
        LifecycleState.new,
        LifecycleState.recurring,
        LifecycleState.dispatched,
        LifecycleState.pr_open,
        LifecycleState.pr_merged,
        LifecycleState.pr_closed_unmerged,
        LifecycleState.needs_human_review,
    }
)
RESOLVED_STATES: frozenset[LifecycleState] = frozenset({LifecycleState.verified_fixed, LifecycleState.fixed})
EXCLUDED_STATES: frozenset[LifecycleState] = frozenset(
    {LifecycleState.false_positive, LifecycleState.risk_accepted}
)


def as_utc(moment: datetime) -> datetime:
    """Aware UTC datetime; a naive one is taken to be UTC already (never local time)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def risk_expired(entry: LedgerEntry, now: datetime) -> bool:
    """True when the entry is risk_accepted but the acceptance ran out at or before `now`."""
    if entry.state != LifecycleState.risk_accepted or entry.risk is None:
        return False
    return as_utc(entry.risk.expires_at) <= as_utc(now)


def effective_state(entry: LedgerEntry, now: datetime) -> LifecycleState:
    """The entry's state as the policy sees it at `now` (expired risk acceptance -> recurring)."""
    if risk_expired(entry, now):
        return LifecycleState.recurring
    return entry.state


def is_open(entry: LedgerEntry, now: datetime) -> bool:
    return effective_state(entry, now) in OPEN_STATES


def format_utc(moment: datetime) -> str:
    """Human form used in skip details: "2026-11-22 14:00 UTC"."""
    return as_utc(moment).strftime("%Y-%m-%d %H:%M UTC")
