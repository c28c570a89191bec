"""Why a finding the ledger already knows must not get a session now (before any budget).

Checked in this order; the first that applies is the reason:

1. an active attempt (any run) -> `active_session` ("in progress in run r-123 (attempt 2)");
2. the lifecycle state: pr_open -> `open_pr`, pr_merged -> `merged_awaiting_verification`,
   verified_fixed -> `verified_fixed` (a later import turns it into recurring if it really
   came back), false_positive, risk_accepted (unless expired at `now`);
3. `failures >= policy.max_attempts` -> `too_many_attempts`; else the state
   needs_human_review -> `needs_human_review` (a person flagged it; `reopen` clears it);
4. cooldown: the later of the ledger's `cooldown_until` and the last failed attempt's end +
   `policy.cooldown_after(failures)` (24 h / 72 h / 168 h by default). At exactly that
   moment the finding is plannable again.

States new, recurring, fixed (present again in this upload) and pr_closed_unmerged pass.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from engine.ledger.models import LedgerEntry, LifecycleState
from engine.policy.policy import Policy
from engine.policy.states import as_utc, effective_state, format_utc

FAILED_OUTCOMES = frozenset({"failed", "timeout"})


class SkipReason(StrEnum):
    active_session = "active_session"
    open_pr = "open_pr"
    merged_awaiting_verification = "merged_awaiting_verification"
    verified_fixed = "verified_fixed"
    false_positive = "false_positive"
    risk_accepted = "risk_accepted"
    too_many_attempts = "too_many_attempts"
    needs_human_review = "needs_human_review"
    cooldown = "cooldown"
    global_limit = "global_limit"
    service_cap = "service_cap"
    acu_budget = "acu_budget"
    duplicate = "duplicate"  # another finding in the same upload has the same fingerprint


Gate = tuple[SkipReason, str]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _state_gate(entry: LedgerEntry, now: datetime) -> Gate | None:
    active = [attempt for attempt in entry.attempts if attempt.outcome == "active"]
    if active:
        latest = max(active, key=lambda attempt: attempt.started_at)
        return SkipReason.active_session, f"in progress in run {latest.run_id} (attempt {latest.attempt})"
    state = effective_state(entry, now)
    if state == LifecycleState.dispatched:
        return SkipReason.active_session, "marked dispatched, no active attempt recorded"
    if state == LifecycleState.pr_open:
        return SkipReason.open_pr, f"open PR {entry.pr_url or '(no URL recorded)'}"
    if state == LifecycleState.pr_merged:
        return (
            SkipReason.merged_awaiting_verification,
            f"PR {entry.pr_url or '(no URL recorded)'} merged; waiting for a scan to confirm the fix",
        )
    if state == LifecycleState.verified_fixed:
        return SkipReason.verified_fixed, "fix verified by a later scan"
    if state == LifecycleState.false_positive:
        return SkipReason.false_positive, "marked false positive" + (f": {entry.note}" if entry.note else "")
    if state == LifecycleState.risk_accepted:
        risk = entry.risk
        if risk is None:
            return SkipReason.risk_accepted, "risk accepted"
        return (
            SkipReason.risk_accepted,
            f"risk accepted by {risk.owner} until {format_utc(risk.expires_at)}: {risk.reason}",
        )
    return None


def last_failure_at(entry: LedgerEntry) -> datetime | None:
    failed = [attempt for attempt in entry.attempts if attempt.outcome in FAILED_OUTCOMES]
    if not failed:
        return None
    return max(as_utc(attempt.ended_at or attempt.started_at) for attempt in failed)


def cooldown_end(entry: LedgerEntry, policy: Policy) -> datetime | None:
    """When the entry may be tried again; None when no cooldown was ever set."""
    ends = [as_utc(entry.cooldown_until)] if entry.cooldown_until is not None else []
    last = last_failure_at(entry)
    if entry.failures > 0 and last is not None:
        ends.append(last + timedelta(hours=policy.cooldown_after(entry.failures)))
    return max(ends, default=None)


def gate(entry: LedgerEntry, policy: Policy, now: datetime) -> Gate | None:
    """The reason the entry's finding cannot be planned at `now`, or None when it can."""
    found = _state_gate(entry, now)
    if found is not None:
        return found
    if entry.failures >= policy.max_attempts:
        return (
            SkipReason.too_many_attempts,
            f"{_plural(entry.failures, 'failed attempt')} (limit {policy.max_attempts}); needs a human",
        )
    if entry.state == LifecycleState.needs_human_review:
        return SkipReason.needs_human_review, "flagged for human review" + (
            f": {entry.note}" if entry.note else ""
        )
    end = cooldown_end(entry, policy)
    if end is not None and end > as_utc(now):
        after = f" after {_plural(entry.failures, 'failed attempt')}" if entry.failures else ""
        return SkipReason.cooldown, f"cooldown until {format_utc(end)}{after}"
    return None
