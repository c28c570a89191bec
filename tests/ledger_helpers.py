"""Builders shared by the ledger tests: findings with fingerprints, and a controllable clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine.core.models import Finding, FindingCategory, Severity
from engine.ledger import Ledger

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
REPO_A = "https://github.com/acme/shop"
REPO_B = "https://github.com/acme/billing"


def at(hours: float) -> datetime:
    """The test clock: `hours` after T0."""
    return T0 + timedelta(hours=hours)


def fp(n: int) -> str:
    return f"{n:020x}"


def finding(
    n: int,
    *,
    repo: str | None = REPO_A,
    scanner: str | None = "CodeQL",
    service: str = "shop",
    title: str | None = None,
    severity: Severity = Severity.high,
    line: int | None = 10,
) -> Finding:
    return Finding(
        finding_id=f"F-{n}",
        fingerprint=fp(n),
        scanner=scanner,
        category=FindingCategory.sql_injection,
        severity=severity,
        title=title or f"finding {n}",
        service_name=service,
        repo_url=repo,
        file_path=f"src/module_{n}.py",
        line_number=line,
        rule_id=f"rule-{n}",
    )


def states(ledger: Ledger) -> dict[str, str]:
    return {key: entry.state.value for key, entry in ledger.entries.items()}


def round_trips(ledger: Ledger) -> bool:
    return Ledger.model_validate_json(ledger.model_dump_json()) == ledger
