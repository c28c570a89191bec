"""Remediation SLAs: how long a finding of each severity may stay open.

The clock starts at the ledger entry's `first_seen` and is never reset: a finding that was
fixed and came back (recurring) keeps its original due date, because the exposure never
really ended. `due_at = first_seen + days[severity]`.

States:
- `met`: resolved at or before `due_at`; `breached`: resolved after it, or still open after it;
- `at_risk`: open, not past due, and `elapsed_fraction >= at_risk_fraction` (0.75 by default);
- `on_track`: open and below that fraction.
At exactly `due_at` an open finding is still `at_risk` (it can still be met that instant);
one second later it is `breached`.

For the ledger-wide summary, "resolved" means verified_fixed, fixed or false_positive
(a false positive met its SLA when someone triaged it in time) and the resolution time is
the history event that moved the entry into its current state (falling back to `last_seen`
when the entry has no such event). Risk-accepted entries are left out of the summary while
the acceptance lasts (they have their own expiry); once it has expired they count as open.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

from engine.core.models import Severity
from engine.ledger.models import Ledger, LedgerEntry, LifecycleState
from engine.policy.states import as_utc, effective_state

if TYPE_CHECKING:
    from engine.policy.policy import Policy

DEFAULT_SLA_DAYS: dict[Severity, int] = {
    Severity.critical: 7,
    Severity.high: 30,
    Severity.medium: 90,
    Severity.low: 180,
}
SLA_RESOLVED_STATES = frozenset(
    {LifecycleState.verified_fixed, LifecycleState.fixed, LifecycleState.false_positive}
)
DAY = timedelta(days=1)

SlaState = Literal["on_track", "at_risk", "breached", "met"]


class SlaPolicy(BaseModel):
    """Days allowed per severity, and when an open finding counts as at risk."""

    days: dict[Severity, int] = Field(default_factory=lambda: dict(DEFAULT_SLA_DAYS))
    at_risk_fraction: float = Field(default=0.75, gt=0, le=1)

    @field_validator("days")
    @classmethod
    def _days(cls, value: dict[Severity, int]) -> dict[Severity, int]:
        # A partial table keeps the defaults for the severities it leaves out.
        merged = {**DEFAULT_SLA_DAYS, **value}
        for severity, days in merged.items():
            if days < 1:
                raise ValueError(f"{severity}: the SLA must be at least 1 day, got {days}")
        return {severity: merged[severity] for severity in Severity}


class SlaStatus(BaseModel):
    """One finding's SLA position. `days_left` is negative once past due; for a resolved
    finding both numbers are measured at the resolution time, not at `now`."""

    due_at: datetime
    state: SlaState
    elapsed_fraction: float
    days_left: float


def sla_status(
    entry_first_seen: datetime,
    severity: Severity,
    now: datetime,
    resolved_at: datetime | None = None,
    policy: SlaPolicy | None = None,
) -> SlaStatus:
    """The SLA state of a finding first seen at `entry_first_seen` (see the module docstring)."""
    policy = policy or SlaPolicy()
    first_seen = as_utc(entry_first_seen)
    window = policy.days[severity] * DAY
    due_at = first_seen + window
    at = as_utc(resolved_at) if resolved_at is not None else as_utc(now)
    elapsed = max((at - first_seen) / window, 0.0)
    days_left = (due_at - at) / DAY
    state: SlaState
    if resolved_at is not None:
        state = "met" if at <= due_at else "breached"
    elif at > due_at:
        state = "breached"
    elif elapsed >= policy.at_risk_fraction:
        state = "at_risk"
    else:
        state = "on_track"
    return SlaStatus(due_at=due_at, state=state, elapsed_fraction=elapsed, days_left=days_left)


def resolved_at(entry: LedgerEntry) -> datetime | None:
    """When the entry reached its current resolved state; None while it is not resolved."""
    if entry.state not in SLA_RESOLVED_STATES:
        return None
    for event in reversed(entry.history):
        if event.state == entry.state:
            return event.at
    return entry.last_seen


def entry_sla(entry: LedgerEntry, policy: SlaPolicy, now: datetime) -> SlaStatus | None:
    """The entry's SLA status, or None when it is out of scope (an unexpired risk acceptance)."""
    if effective_state(entry, now) == LifecycleState.risk_accepted:
        return None
    return sla_status(entry.first_seen, entry.severity, now, resolved_at(entry), policy)


class SlaSummary(BaseModel):
    """Fingerprints per SLA state (each list ordered by due date, then fingerprint)."""

    model_config = ConfigDict(frozen=True)

    on_track_fingerprints: list[str] = Field(default_factory=list)
    at_risk_fingerprints: list[str] = Field(default_factory=list)
    breached_fingerprints: list[str] = Field(default_factory=list)
    met_fingerprints: list[str] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def on_track(self) -> int:
        return len(self.on_track_fingerprints)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def at_risk(self) -> int:
        return len(self.at_risk_fingerprints)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def breached(self) -> int:
        return len(self.breached_fingerprints)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def met(self) -> int:
        return len(self.met_fingerprints)


def sla_summary(ledger: Ledger, policy: Policy | SlaPolicy, now: datetime) -> SlaSummary:
    """Every ledger entry's SLA state at `now`, grouped."""
    sla = policy if isinstance(policy, SlaPolicy) else policy.sla
    groups: dict[SlaState, list[tuple[datetime, str]]] = {
        "on_track": [],
        "at_risk": [],
        "breached": [],
        "met": [],
    }
    for fingerprint, entry in ledger.entries.items():
        status = entry_sla(entry, sla, now)
        if status is not None:
            groups[status.state].append((status.due_at, fingerprint))
    ordered = {state: [fp for _, fp in sorted(items)] for state, items in groups.items()}
    return SlaSummary(
        on_track_fingerprints=ordered["on_track"],
        at_risk_fingerprints=ordered["at_risk"],
        breached_fingerprints=ordered["breached"],
        met_fingerprints=ordered["met"],
    )
