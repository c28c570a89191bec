"""What an ingest tells the user: what was accepted, what was refused and why, what merged."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RowProblem(BaseModel):
    row: int  # spreadsheet-style: the header is row 1, the first data row is row 2
    column: str | None
    reason: str
    value: str | None = None
    finding_id: str | None = None


class MergedGroup(BaseModel):
    survivor_id: str
    merged_ids: list[str]
    key: str  # the location the rows shared


class IngestReport(BaseModel):
    source_name: str
    encoding: str
    total_rows: int = 0  # data rows seen, blank lines excluded
    blank_rows: int = 0
    accepted: int = 0  # findings after merging duplicates
    rejected_rows: int = 0
    rejected: list[RowProblem] = Field(default_factory=list)
    warnings: list[RowProblem] = Field(default_factory=list)
    duplicates_merged: int = 0  # rows folded into another finding
    merged_groups: list[MergedGroup] = Field(default_factory=list)
    ignored_columns: list[str] = Field(default_factory=list)
