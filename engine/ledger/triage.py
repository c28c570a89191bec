"""Human decisions on findings: false positive, accepted risk (until a date), and reopening.

A decision names who made it (an identity such as "ana@example.com") and why; both are
required. Scans never undo a decision: a false positive stays one, an accepted risk stays
accepted until it expires (`expire_risks`) or someone reopens it.
"""

from __future__ import annotations

from datetime import datetime

from engine.core.errors import BadInputError
from engine.ledger.models import Ledger, LedgerEntry, LifecycleState, RiskAcceptance
from engine.ledger.transitions import change_state, get_entry, require_aware, require_text

S = LifecycleState
# needs_human_review: a person looked at the failed attempts and sends it back for more.
REOPENABLE = (S.false_positive, S.risk_accepted, S.needs_human_review)


def mark_false_positive(ledger: Ledger, fp: str, actor: str, reason: str, now: datetime) -> LedgerEntry:
    require_aware(now, "now")
    actor = require_text(actor, "actor")
    reason = require_text(reason, "a reason for the false positive")
    entry = get_entry(ledger, fp)
    entry.note = reason
    entry.risk = None
    entry.cooldown_until = None
    change_state(entry, S.false_positive, now, f"marked a false positive: {reason}", actor)
    return entry


def accept_risk(
    ledger: Ledger, fp: str, owner: str, reason: str, expires_at: datetime, actor: str, now: datetime
) -> LedgerEntry:
    require_aware(now, "now")
    require_aware(expires_at, "the expiry")
    owner = require_text(owner, "the risk owner")
    reason = require_text(reason, "a reason for accepting the risk")
    actor = require_text(actor, "actor")
    if expires_at <= now:
        raise BadInputError(
            f"the expiry {expires_at.isoformat()} must be in the future (now {now.isoformat()})"
        )
    entry = get_entry(ledger, fp)
    entry.risk = RiskAcceptance(
        owner=owner, reason=reason, accepted_at=now, expires_at=expires_at, accepted_by=actor
    )
    entry.cooldown_until = None
    until = expires_at.date().isoformat()
    change_state(entry, S.risk_accepted, now, f"risk accepted (owner {owner}) until {until}: {reason}", actor)
    return entry


def reopen(ledger: Ledger, fp: str, actor: str, reason: str, now: datetime) -> LedgerEntry:
    """Returns a false positive, an accepted risk or a finding that needed human review to the
    work queue (as recurring). After a review the failure count starts again, so the finding
    gets a new round of attempts; the earlier attempts stay in its history."""
    require_aware(now, "now")
    actor = require_text(actor, "actor")
    reason = require_text(reason, "a reason for reopening")
    entry = get_entry(ledger, fp)
    if entry.state not in REOPENABLE:
        raise BadInputError(
            f"fingerprint {fp!r} is {entry.state.value}; "
            "only a false positive, an accepted risk or a finding that needs human review can be reopened"
        )
    if entry.state == S.needs_human_review:
        entry.failures = 0
        entry.cooldown_until = None
    _back_to_work(entry)
    change_state(entry, S.recurring, now, f"reopened: {reason}", actor)
    return entry


def expire_risks(ledger: Ledger, now: datetime) -> list[str]:
    """Accepted risks whose acceptance has run out become recurring work again."""
    require_aware(now, "now")
    expired = []
    for fp, entry in sorted(ledger.entries.items()):
        if entry.state == S.risk_accepted and entry.risk is not None and entry.risk.expires_at <= now:
            owner = entry.risk.owner
            _back_to_work(entry)
            change_state(entry, S.recurring, now, f"risk acceptance expired (owner {owner})")
            expired.append(fp)
    return expired


def _back_to_work(entry: LedgerEntry) -> None:
    # The decision and its reason stay in the history; the live fields describe the present.
    entry.risk = None
    entry.note = None
    entry.state_before_dispatch = None
