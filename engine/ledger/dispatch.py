"""Dispatch bookkeeping across runs: who may start a session on a finding, and what came of it.

`claim` is the gate every run passes before it creates a session: a finding another run is
working on, one a human has ruled out, or one past the global session limit is refused. The
state may have changed since the run planned, so the check is made again here, under the
ledger lock (callers run it inside `update_ledger`).

`record_outcome` closes an attempt. Failed and timed-out attempts back off (retry.py: 24 h, 72 h,
168 h by default) and, at the limit, hand the finding to a human. Both are idempotent: a run that
resumes after a crash may claim and record again without counting twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from engine.core.errors import BadInputError
from engine.ledger.models import (
    AttemptOutcome,
    Claim,
    ClaimResult,
    DispatchAttempt,
    GlobalBudget,
    Ledger,
    LedgerEntry,
    LifecycleState,
    active_attempt,
)
from engine.ledger.retry import (
    DEFAULT_COOLDOWN_HOURS,
    DEFAULT_MAX_ATTEMPTS,
    cooldown_after,
    sessions_in_window,
)
from engine.ledger.transitions import change_state, get_entry, require_aware

S = LifecycleState
# States in which no session may start, and why (shown to the operator as the refusal).
NOT_DISPATCHABLE = {
    S.false_positive: "marked a false positive",
    S.risk_accepted: "risk accepted",
    S.verified_fixed: "already verified fixed",
    S.needs_human_review: "needs human review after repeated failed attempts",
    S.pr_open: "a pull request is open",
    S.pr_merged: "its pull request is merged, awaiting verification by the next scan",
}
NO_PR_NOTE = "agent finished without a pull request"
FINAL_OUTCOMES = ("success", "failed", "timeout", "interrupted", "refused")


def claim(
    ledger: Ledger, run_id: str, claims: list[Claim], now: datetime, budget: GlobalBudget
) -> ClaimResult:
    require_aware(now, "now")
    result = ClaimResult()
    used = sessions_in_window(ledger, now, budget.period_hours)
    for wanted in claims:
        entry = ledger.entries.get(wanted.fingerprint)
        why_not, active = _refusal(entry, run_id, wanted)
        if why_not is None and active is not None and active.attempt == wanted.attempt:
            # The same run claiming again (a resume after a crash): already granted.
            result.granted.append(wanted.fingerprint)
            continue
        if why_not is None and used >= budget.limit:
            why_not = (
                f"global limit reached: {used} sessions in the last {budget.period_hours:g} h "
                f"(limit {budget.limit})"
            )
        if why_not is not None or entry is None:
            result.refused[wanted.fingerprint] = why_not or "not in the ledger"
            continue
        _grant(entry, run_id, wanted, now, active)
        used += 1
        result.granted.append(wanted.fingerprint)
    return result


def _refusal(
    entry: LedgerEntry | None, run_id: str, wanted: Claim
) -> tuple[str | None, DispatchAttempt | None]:
    if entry is None:
        return "not in the ledger: import the scan that reported it first", None
    active = active_attempt(entry)
    if active is not None and active.run_id != run_id:
        return f"in progress in run {active.run_id} (attempt {active.attempt})", active
    if entry.state in NOT_DISPATCHABLE:
        reason = NOT_DISPATCHABLE[entry.state]
        if entry.state == S.pr_open and entry.pr_url:
            reason = f"{reason}: {entry.pr_url}"
        return reason, active
    return None, active


def _grant(
    entry: LedgerEntry, run_id: str, wanted: Claim, now: datetime, active: DispatchAttempt | None
) -> None:
    if active is not None:
        # The same run moved on to a new attempt without closing the old one (its outcome was
        # lost in a crash): the old one is over, and the state it interrupted is still recorded.
        active.outcome = "interrupted"
        active.ended_at = now
    else:
        if entry.state != S.dispatched:  # never "restore" to dispatched
            entry.state_before_dispatch = entry.state
        change_state(entry, S.dispatched, now, f"dispatched in run {run_id} (attempt {wanted.attempt})")
    entry.attempts.append(
        DispatchAttempt(run_id=run_id, finding_id=wanted.finding_id, attempt=wanted.attempt, started_at=now)
    )


def record_outcome(
    ledger: Ledger,
    run_id: str,
    fingerprint: str,
    attempt: int,
    outcome: AttemptOutcome,
    now: datetime,
    session_id: str | None = None,
    pr_url: str | None = None,
    acu: float | None = None,
    *,
    cooldown_hours: tuple[float, ...] = DEFAULT_COOLDOWN_HOURS,
    max_failures: int = DEFAULT_MAX_ATTEMPTS,
) -> LedgerEntry:
    """Closes the attempt and moves the entry on. `refused` means the session was never created
    (it then does not count toward the global limit); like `interrupted`, it restores the state
    the dispatch interrupted without counting a failure."""
    require_aware(now, "now")
    if outcome not in FINAL_OUTCOMES:
        choices = ", ".join(FINAL_OUTCOMES)
        raise BadInputError(f"outcome {outcome!r} does not end an attempt; use one of {choices}")
    if not cooldown_hours or max_failures < 1:
        raise BadInputError("cooldown_hours needs at least one value and max_failures must be at least 1")
    entry = get_entry(ledger, fingerprint)
    found = _attempt_of(entry, run_id, attempt)
    if found.outcome != "active":
        return entry  # already recorded: a resumed run reporting again
    found.outcome = outcome
    found.ended_at = now
    found.session_id = session_id or found.session_id
    found.pr_url = pr_url or found.pr_url
    found.acu = acu if acu is not None else found.acu

    if outcome in ("failed", "timeout"):
        entry.failures += 1
        if entry.failures < max_failures:
            entry.cooldown_until = now + timedelta(hours=cooldown_after(cooldown_hours, entry.failures))
        else:
            entry.cooldown_until = None  # no more automatic attempts: waiting is a human's call
    elif outcome == "success":
        entry.cooldown_until = None

    # A human may have ruled on the finding while the session ran (false positive, accepted
    # risk): their decision stands, the attempt is only recorded.
    if entry.state != S.dispatched or active_attempt(entry) is not None:
        return entry
    restore = entry.state_before_dispatch or S.new
    entry.state_before_dispatch = None
    what = f"attempt {attempt} of run {run_id}"
    if outcome == "success" and found.pr_url:
        entry.pr_url = found.pr_url
        if entry.note == NO_PR_NOTE:
            entry.note = None
        change_state(entry, S.pr_open, now, f"{what} opened a pull request: {found.pr_url}")
    elif outcome == "success":
        entry.note = NO_PR_NOTE
        change_state(entry, restore, now, f"{what} finished without a pull request")
    elif outcome in ("failed", "timeout") and entry.failures >= max_failures:
        reason = f"{what} {outcome}: {entry.failures} failed attempts, needs a human"
        change_state(entry, S.needs_human_review, now, reason)
    elif outcome in ("failed", "timeout"):
        until = entry.cooldown_until.isoformat() if entry.cooldown_until else "?"
        reason = f"{what} {outcome} (failure {entry.failures}): cooldown until {until}"
        change_state(entry, restore, now, reason)
    else:
        change_state(entry, restore, now, f"{what} {outcome}: no session ran to the end")
    return entry


def _attempt_of(entry: LedgerEntry, run_id: str, attempt: int) -> DispatchAttempt:
    for candidate in reversed(entry.attempts):
        if candidate.run_id == run_id and candidate.attempt == attempt:
            return candidate
    raise BadInputError(
        f"fingerprint {entry.fingerprint!r} has no attempt {attempt} of run {run_id!r}: "
        "claim it before recording its outcome"
    )
