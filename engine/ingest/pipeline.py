"""File -> checked, merged, prioritized findings plus a report of everything that happened."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd
from pydantic import TypeAdapter

from engine.errors import BadInputError
from engine.ingest.decode import decode_source
from engine.ingest.dedupe import location_keys, merge_duplicates, reject_reused_ids
from engine.ingest.report import IngestReport
from engine.ingest.rows import check_rows, drop_blank_rows
from engine.ingest.table import check_header, read_header, read_table
from engine.models import Finding
from engine.prioritize import ServiceWeights, prioritize_frame

_FINDINGS = TypeAdapter(list[Finding])
_OPTIONAL_TEXT = (
    "scanner",
    "description",
    "repo_url",
    "file_path",
    "cwe_id",
    "dependency_name",
    "current_version",
    "fixed_version",
    "language",
)


@dataclass
class IngestResult:
    report: IngestReport
    # Accepted findings, most urgent first, one row each; columns as in Finding plus the score.
    frame: pd.DataFrame = field(repr=False)

    @cached_property
    def findings(self) -> list[Finding]:
        """Findings as models; built on first use because large files rarely need all of them."""
        return frame_to_findings(self.frame)


def ingest_file(path: Path, services: ServiceWeights, *, source_name: str | None = None) -> IngestResult:
    name = source_name or path.name
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise BadInputError(f"{path}: no such file") from exc
    except IsADirectoryError as exc:
        raise BadInputError(f"{path}: is a directory, not a file") from exc
    except OSError as exc:
        raise BadInputError(f"{path}: cannot read the file ({exc.strerror})") from exc
    return ingest_bytes(data, name, services)


def ingest_bytes(data: bytes, name: str, services: ServiceWeights) -> IngestResult:
    src = decode_source(data, name)
    normalized, ignored = check_header(read_header(src, name), name)
    table, broken_rows = read_table(src, name, normalized)
    table, blank = drop_blank_rows(table)
    report = IngestReport(
        source_name=name,
        encoding=src.encoding,
        blank_rows=blank,
        total_rows=len(table) + len(broken_rows),
        ignored_columns=ignored,
    )
    usable, errors, warnings = check_rows(table)
    usable, reused = reject_reused_ids(usable, location_keys(usable))
    merged, groups = merge_duplicates(usable)
    ranked = prioritize_frame(merged, services)

    report.rejected = sorted([*broken_rows, *errors, *reused], key=lambda p: (p.row, p.column or ""))
    report.rejected_rows = len(rejected_rows := {p.row for p in report.rejected})
    # A refused row's lesser problems would only bury the reason it was refused.
    report.warnings = [w for w in warnings if w.row not in rejected_rows]
    report.merged_groups = groups
    report.duplicates_merged = len(usable) - len(merged)
    report.accepted = len(ranked)
    if report.total_rows == 0:
        raise BadInputError(f"{name}: the file has a header but no data rows")
    return IngestResult(report=report, frame=ranked)


def frame_to_findings(frame: pd.DataFrame) -> list[Finding]:
    records = []
    for row in frame.itertuples(index=True):
        line = row.line_number
        record = {
            "finding_id": row.finding_id,
            "category": row.category,
            "severity": row.severity,
            "title": row.title,
            "service_name": row.service_name,
            "line_number": None if pd.isna(line) else int(line),
            "merged_ids": row.merged_ids,
            "source_row": int(row.Index),
            "priority": {
                "severity": int(row.priority_severity),
                "category": int(row.priority_category),
                "service": int(row.priority_service),
            },
            "priority_rank": int(row.priority_rank),
        }
        for name in _OPTIONAL_TEXT:
            value = getattr(row, name)
            record[name] = value or None
        records.append(record)
    return _FINDINGS.validate_python(records)
