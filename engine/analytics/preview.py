"""Tables for checking an upload before launch: findings in priority order with the score's
parts, and the rows the ingest refused or warned about."""

from __future__ import annotations

import pandas as pd

from engine.ingest.report import RowProblem
from engine.models import Finding

PREVIEW_COLUMNS = [
    "rank",
    "finding_id",
    "severity",
    "category",
    "service",
    "score",
    "severity_weight",
    "category_weight",
    "service_weight",
    "title",
    "location",
    "merged",
]
PROBLEM_COLUMNS = ["row", "column", "reason", "value", "finding_id"]


def location(path: str | None, line: int | None) -> str:
    if not path:
        return ""
    return f"{path}:{line}" if line else path


def preview_table(findings: list[Finding]) -> pd.DataFrame:
    rows = [
        {
            "rank": f.priority_rank,
            "finding_id": f.finding_id,
            "severity": f.severity.value,
            "category": f.category.value,
            "service": f.service_name,
            "score": f.score,
            "severity_weight": f.priority.severity if f.priority else None,
            "category_weight": f.priority.category if f.priority else None,
            "service_weight": f.priority.service if f.priority else None,
            "title": f.title,
            "location": location(f.file_path, f.line_number),
            "merged": len(f.merged_ids),
        }
        for f in findings
    ]
    return pd.DataFrame(rows, columns=PREVIEW_COLUMNS)


def problems_table(problems: list[RowProblem]) -> pd.DataFrame:
    return pd.DataFrame([p.model_dump() for p in problems], columns=PROBLEM_COLUMNS)
