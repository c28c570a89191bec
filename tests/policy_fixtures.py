"""Hand-built ledgers and findings for the cross-run policy tests, with an explicit clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from engine.core.models import Finding, FindingCategory, Severity
from engine.ledger.models import (
    DispatchAttempt,
    Ledger,
    LedgerEntry,
    LedgerEvent,
    LifecycleState,
    ScanImport,
)

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def hours(n: float) -> datetime:
    return T0 + timedelta(hours=n)


def days(n: float) -> datetime:
    return T0 + timedelta(days=n)


def finding(
    fid: str,
    fingerprint: str | None = None,
    severity: str = "high",
    category: str = "sql_injection",
    service: str = "api",
) -> Finding:
    return Finding(
        finding_id=fid,
        category=FindingCategory(category),
        severity=Severity(severity),
        title=f"Issue {fid}",
        service_name=service,
        fingerprint=fingerprint,
    )


def attempt(
    run_id: str = "r-1",
    n: int = 1,
    started: datetime = T0,
    outcome: str = "failed",
    ended: datetime | None = None,
    fid: str = "F-1",
) -> DispatchAttempt:
    if ended is None and outcome != "active":
        ended = started + timedelta(hours=1)
    return DispatchAttempt(
        run_id=run_id, finding_id=fid, attempt=n, started_at=started, ended_at=ended, outcome=outcome
    )


def entry(
    fingerprint: str,
    severity: str = "high",
    category: str = "sql_injection",
    service: str = "api",
    state: LifecycleState = LifecycleState.new,
    first_seen: datetime = T0,
    **extra: Any,
) -> LedgerEntry:
    return LedgerEntry(
        fingerprint=fingerprint,
        title=f"Issue {fingerprint}",
        category=FindingCategory(category),
        severity=Severity(severity),
        service_name=service,
        scanners=["Semgrep OSS"],
        scope=f"{service}|semgrep oss",
        first_seen=first_seen,
        last_seen=extra.pop("last_seen", first_seen),
        last_scan_id=extra.pop("last_scan_id", "scan-1"),
        state=state,
        **extra,
    )


def event(at: datetime, state: LifecycleState, previous: LifecycleState | None = None) -> LedgerEvent:
    return LedgerEvent(at=at, state=state, previous=previous, reason="test")


def ledger(*entries: LedgerEntry, imports: list[datetime] | None = None) -> Ledger:
    return Ledger(
        entries={item.fingerprint: item for item in entries},
        imports=[
            ScanImport(scan_id=f"scan-{i}", imported_at=at, source_name="scan.sarif", scopes=[], findings=0)
            for i, at in enumerate(imports or [])
        ],
    )
