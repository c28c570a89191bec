"""The findings ledger as the Ledger page and `ledger list` show it: one row per finding with
its lifecycle state, age and SLA, plus the state counts, SLA panel and objective progress."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pandas as pd
from pydantic import BaseModel

from engine.ledger import Ledger, LedgerEntry, LifecycleState
from engine.policy import ObjectiveProgress, Policy, objective_progress, sla_summary
from engine.policy.sla import entry_sla
from engine.policy.states import as_utc, effective_state

SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
# The states a person can act on first, then the ones in flight, then the closed ones.
STATE_ORDER = [s.value for s in LifecycleState]


class LedgerRow(BaseModel):
    fingerprint: str
    state: str
    severity: str
    category: str
    service_name: str
    title: str
    location: str
    scanners: str
    first_seen: datetime
    last_seen: datetime
    age_days: float
    appearances: int
    attempts: int
    sla: str  # on_track, at_risk, breached, met, or "n/a" (risk accepted)
    due_at: datetime | None
    days_left: float | None
    pr_url: str | None
    cooldown_until: datetime | None
    failed_fixes: int
    risk_expires: datetime | None
    note: str | None


def _location(entry: LedgerEntry) -> str:
    if entry.dependency_name:
        return f"{entry.dependency_name} ({entry.file_path})" if entry.file_path else entry.dependency_name
    if entry.file_path:
        return f"{entry.file_path}:{entry.line_number}" if entry.line_number else entry.file_path
    return ""


def ledger_rows(ledger: Ledger, policy: Policy, now: datetime) -> list[LedgerRow]:
    """Most urgent first: severity, then SLA days left, then fingerprint."""
    rows = []
    for fp, entry in ledger.entries.items():
        sla = entry_sla(entry, policy.sla, now)
        rows.append(
            LedgerRow(
                fingerprint=fp,
                state=effective_state(entry, now).value,
                severity=entry.severity.value,
                category=entry.category.value,
                service_name=entry.service_name,
                title=entry.title,
                location=_location(entry),
                scanners=", ".join(entry.scanners),
                first_seen=entry.first_seen,
                last_seen=entry.last_seen,
                age_days=round((as_utc(now) - as_utc(entry.first_seen)).total_seconds() / 86400, 1),
                appearances=entry.appearances,
                attempts=len([a for a in entry.attempts if a.outcome != "refused"]),
                sla=sla.state if sla else "n/a",
                due_at=sla.due_at if sla else None,
                days_left=round(sla.days_left, 1) if sla else None,
                pr_url=entry.pr_url,
                cooldown_until=entry.cooldown_until,
                failed_fixes=len(entry.failed_fixes),
                risk_expires=entry.risk.expires_at if entry.risk else None,
                note=entry.note,
            )
        )
    rows.sort(
        key=lambda r: (
            SEVERITY_ORDER.get(r.severity, 9),
            r.days_left if r.days_left is not None else float("inf"),
            r.fingerprint,
        )
    )
    return rows


def ledger_table(rows: list[LedgerRow]) -> pd.DataFrame:
    columns = list(LedgerRow.model_fields)
    return pd.DataFrame([r.model_dump() for r in rows], columns=columns)


class LedgerOverview(BaseModel):
    findings: int
    by_state: dict[str, int]
    sla_at_risk: int
    sla_breached: int
    sla_met: int
    sla_on_track: int
    objectives: list[tuple[str, ObjectiveProgress]]
    scans: int
    last_import: datetime | None


def ledger_overview(ledger: Ledger, policy: Policy, now: datetime) -> LedgerOverview:
    states = Counter(effective_state(e, now).value for e in ledger.entries.values())
    sla = sla_summary(ledger, policy, now)
    return LedgerOverview(
        findings=len(ledger.entries),
        by_state={s: states[s] for s in STATE_ORDER if states[s]},
        sla_at_risk=len(sla.at_risk_fingerprints),
        sla_breached=len(sla.breached_fingerprints),
        sla_met=len(sla.met_fingerprints),
        sla_on_track=len(sla.on_track_fingerprints),
        objectives=[(o.title, objective_progress(o, ledger, now)) for o in policy.objectives if o.active],
        scans=len(ledger.imports),
        last_import=max((i.imported_at for i in ledger.imports), default=None),
    )


def entry_history(entry: LedgerEntry) -> pd.DataFrame:
    """The entry's state changes, newest first."""
    return pd.DataFrame(
        [
            {
                "at": e.at,
                "state": e.state.value,
                "from": e.previous.value if e.previous else "",
                "reason": e.reason,
                "by": e.actor or "Patchwave",
            }
            for e in reversed(entry.history)
        ],
        columns=["at", "state", "from", "reason", "by"],
    )


def entry_attempts(entry: LedgerEntry) -> pd.DataFrame:
    return pd.DataFrame(
        [a.model_dump() for a in entry.attempts],
        columns=[
            "run_id",
            "finding_id",
            "attempt",
            "started_at",
            "ended_at",
            "outcome",
            "session_id",
            "pr_url",
        ],
    )
