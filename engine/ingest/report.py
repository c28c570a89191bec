"""What an ingest tells the user: what was accepted, what was refused and why, what merged."""

from __future__ import annotations

from pydantic import BaseModel, Field

from engine.core.models import Severity

REPLACED_ROWS_LISTED = 50


class RowProblem(BaseModel):
    # CSV: spreadsheet-style, the header is row 1 and the first data row is row 2.
    # Scanner files: the result's number, 1 for the file's first finding.
    row: int
    column: str | None
    reason: str
    value: str | None = None
    finding_id: str | None = None
    ref: str | None = None  # scanner files: where the result is, e.g. "runs[0].results[12]"


class SuppressedFinding(BaseModel):
    """A result the scanner itself marks as not to be worked on; never dispatched."""

    ref: str
    title: str
    rule_id: str | None = None
    severity: Severity
    file_path: str | None = None
    line_number: int | None = None
    reason: str
    fingerprint: str


class MergedGroup(BaseModel):
    survivor_id: str
    merged_ids: list[str]
    key: str  # the location the rows shared


class IngestReport(BaseModel):
    source_name: str
    encoding: str  # what the file was read as: utf-8, cp1252 or utf-16
    # Bytes of a UTF-8 file that were not valid UTF-8, read as U+FFFD, and the rows holding them
    # (spreadsheet rows, the header is row 1; the first REPLACED_ROWS_LISTED, each also a warning).
    replaced_bytes: int = 0
    replaced_rows: list[int] = Field(default_factory=list)
    format: str = "csv"  # csv, sarif, semgrep, trivy, snyk, dependabot, github_code_scanning
    format_label: str = "CSV"
    tools: list[str] = Field(default_factory=list)
    total_rows: int = 0  # data rows seen, blank lines excluded
    blank_rows: int = 0
    accepted: int = 0  # findings after merging duplicates
    rejected_rows: int = 0
    rejected: list[RowProblem] = Field(default_factory=list)
    warnings: list[RowProblem] = Field(default_factory=list)
    duplicates_merged: int = 0  # rows folded into another finding
    merged_groups: list[MergedGroup] = Field(default_factory=list)
    ignored_columns: list[str] = Field(default_factory=list)
    suppressed: int = 0  # scanner results marked suppressed, dismissed or fixed: counted, not run
    suppressed_findings: list[SuppressedFinding] = Field(default_factory=list)  # the first 500
    not_findings: int = 0  # results that report no problem (SARIF kind "pass" and the like)
    # Accepted findings per category (most first), and how many carry a CWE: the share of
    # those left in `other` says how well the file's CWEs map to playbooks.
    categories: dict[str, int] = Field(default_factory=dict)
    with_cwe: int = 0
    other_with_cwe: int = 0

    @property
    def other(self) -> int:
        """Accepted findings in the catch-all category `other`."""
        return self.categories.get("other", 0)

    @property
    def encoding_summary(self) -> str:
        """'cp1252', or 'utf-8, with 3 bytes that are not UTF-8 replaced by U+FFFD (rows 4, 7)'."""
        if not self.replaced_bytes:
            return self.encoding
        rows = ", ".join(f"{r:,}" for r in self.replaced_rows)
        more = " and more" if len(self.replaced_rows) >= REPLACED_ROWS_LISTED else ""
        bytes_ = f"{self.replaced_bytes:,} byte{'s that are' if self.replaced_bytes != 1 else ' that is'}"
        return (
            f"{self.encoding}, with {bytes_} not UTF-8 replaced by U+FFFD "
            f"(row{'s' if len(self.replaced_rows) != 1 else ''} {rows}{more})"
        )

    @property
    def row_label(self) -> str:
        """What `RowProblem.row` counts in this file."""
        return "row" if self.format == "csv" else "result"
