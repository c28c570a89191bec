"""Priority order of findings and severity order, shared by the tables and the review queue."""

from __future__ import annotations

from engine.core.models import Finding, Severity

SEVERITY_ORDER: dict[str, int] = {s.value: i for i, s in enumerate(Severity)}  # critical first


def priority_key(finding: Finding) -> tuple[bool, int, int, str]:
    """Ranked findings by rank (1 first); unranked ones after them, by score then id."""
    rank = finding.priority_rank
    return (rank is None, rank or 0, -finding.score, finding.finding_id)


def in_priority_order(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=priority_key)


def ranks(findings: list[Finding]) -> dict[str, int]:
    """finding_id -> rank: the stored priority_rank, else the position in priority order."""
    return {
        f.finding_id: f.priority_rank if f.priority_rank is not None else i + 1
        for i, f in enumerate(in_priority_order(findings))
    }
