"""Tables for checking an upload before launch: findings in priority order with the score's
parts, what the ledger skips, and the rows the ingest refused or warned about."""

from __future__ import annotations

import pandas as pd

from engine.core.models import Finding
from engine.ingest.report import RowProblem, SuppressedFinding
from engine.policy import SkippedFinding

# The run's order with the one priority score (engine.policy.priority), its parts as columns
# and in words (`score_parts`, as `plan` and the Findings page show it).
PREVIEW_COLUMNS = [
    "rank",
    "finding_id",
    "severity",
    "category",
    "service",
    "score",
    "service_importance",
    "severity_points",
    "sla_urgency",
    "fix_rate",
    "recurrence",
    "objective_boost",
    "score_parts",
    "title",
    "location",
    "merged",
]
PROBLEM_COLUMNS = ["row", "ref", "column", "reason", "value", "finding_id"]
SKIPPED_COLUMNS = ["finding_id", "reason", "detail", "severity", "title", "location"]
SUPPRESSED_COLUMNS = ["ref", "severity", "title", "rule_id", "location", "reason"]


def location(path: str | None, line: int | None) -> str:
    if not path:
        return ""
    return f"{path}:{line}" if line else path


def preview_table(findings: list[Finding]) -> pd.DataFrame:
    """Planned findings in the run's order, with the score's parts."""
    rows = []
    for f in findings:
        s = f.priority
        rows.append(
            {
                "rank": f.priority_rank,
                "finding_id": f.finding_id,
                "severity": f.severity.value,
                "category": f.category.value,
                "service": f.service_name,
                "score": s.total if s else None,
                "service_importance": s.service_importance if s else None,
                "severity_points": s.severity if s else None,
                "sla_urgency": s.sla_urgency if s else None,
                "fix_rate": s.fix_rate if s else None,
                "recurrence": s.recurrence if s else None,
                "objective_boost": s.objective_boost if s else None,
                "score_parts": s.explain() if s else "",
                "title": f.title,
                "location": location(f.file_path, f.line_number),
                "merged": len(f.merged_ids),
            }
        )
    return pd.DataFrame(rows, columns=PREVIEW_COLUMNS)


def skipped_table(skipped: list[SkippedFinding], findings: list[Finding]) -> pd.DataFrame:
    """What the ledger plan leaves out, with the reason and the finding it is about."""
    by_id = {f.finding_id: f for f in findings}
    rows = []
    for s in skipped:
        f = by_id.get(s.finding_id)
        rows.append(
            {
                "finding_id": s.finding_id,
                "reason": s.reason.value.replace("_", " "),
                "detail": s.detail,
                "severity": f.severity.value if f else "",
                "title": f.title if f else "",
                "location": location(f.file_path, f.line_number) if f else "",
            }
        )
    return pd.DataFrame(rows, columns=SKIPPED_COLUMNS)


def suppressed_table(suppressed: list[SuppressedFinding]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "ref": s.ref,
                "severity": s.severity.value,
                "title": s.title,
                "rule_id": s.rule_id or "",
                "location": location(s.file_path, s.line_number),
                "reason": s.reason,
            }
            for s in suppressed
        ],
        columns=SUPPRESSED_COLUMNS,
    )


def problems_table(problems: list[RowProblem]) -> pd.DataFrame:
    return pd.DataFrame([p.model_dump() for p in problems], columns=PROBLEM_COLUMNS)
