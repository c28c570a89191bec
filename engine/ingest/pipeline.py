"""File -> checked, merged, prioritized findings plus a report of everything that happened."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd
from pydantic import TypeAdapter

from engine.coded import TableCodes, dense_rank
from engine.errors import BadInputError, reading
from engine.ingest.decode import DecodedSource, source_from_bytes, source_from_path
from engine.ingest.dedupe import location_keys, merge_duplicates, reject_reused_ids
from engine.ingest.identity import csv_fingerprints
from engine.ingest.limits import IngestLimits, Stopwatch
from engine.ingest.report import IngestReport, RowProblem
from engine.ingest.rows import CheckedRows, blank_rows, check_rows
from engine.ingest.scan_table import scan_table, suppressed_findings
from engine.ingest.table import check_header, read_header, read_table
from engine.models import Finding
from engine.prioritize import PriorityOrder, ServiceWeights, priority_order
from engine.scanners import parse_scan
from engine.sources import SourceDefaults

_FINDINGS = TypeAdapter(list[Finding])
_JSON_SNIFF = 64
_TEXT_COLUMNS = (
    "finding_id",
    "scanner",
    "title",
    "description",
    "service_name",
    "repo_url",
    "dependency_name",
    "current_version",
    "fixed_version",
    "language",
    "rule_id",
)


@dataclass
class IngestResult:
    report: IngestReport
    # The checked table in file order, and the accepted rows' positions in priority order:
    # reordering every column eagerly would cost more than the whole check.
    table: pd.DataFrame = field(repr=False)
    checked: CheckedRows = field(repr=False)
    order: PriorityOrder = field(repr=False)
    absorbed: dict[int, list[str]] = field(repr=False)

    @cached_property
    def findings(self) -> list[Finding]:
        """Findings in priority order; built on first use, as large files rarely need them all."""
        return _FINDINGS.validate_python(self._records())

    def _records(self) -> list[dict]:
        p = self.order.positions
        c = self.checked
        text = {name: self.table[name].take(p).tolist() for name in _TEXT_COLUMNS}
        records = []
        for i, position in enumerate(p.tolist()):
            record = {name: (text[name][i].strip() or None) for name in _TEXT_COLUMNS}
            record.update(
                severity=c.severity[position],
                category=c.category[position],
                line_number=c.line_number[position],
                cwe_id=c.cwe_id[position] or None,
                file_path=c.path(position) or None,
                merged_ids=self.absorbed.get(position, []),
                source_row=int(self.table.index[position]),
                priority={
                    "severity": int(self.order.severity[i]),
                    "category": int(self.order.category[i]),
                    "service": int(self.order.service[i]),
                },
                priority_rank=i + 1,
            )
            records.append(record)
        given = self.table["fingerprint"].take(p).tolist()
        for record, fingerprint in zip(records, csv_fingerprints(records, given), strict=True):
            record["fingerprint"] = fingerprint
        return records


def ingest_file(
    path: Path,
    services: ServiceWeights,
    *,
    source_name: str | None = None,
    limits: IngestLimits | None = None,
    defaults: SourceDefaults | None = None,
) -> IngestResult:
    """`limits=None`: no limits, for files the engine itself wrote (a run folder's input)."""
    name = source_name or path.name
    if limits is not None:
        try:
            size = path.stat().st_size
        except OSError:
            size = 0  # source_from_path says what is wrong with the path
        limits.check_size(size, name)
    if _is_json(_head_of(path, name)):
        with reading(path):
            data = path.read_bytes()
        return _ingest_scan(data, name, services, limits, defaults or SourceDefaults())
    return _ingest(source_from_path(path, name), name, services, limits)


def ingest_bytes(
    data: bytes,
    name: str,
    services: ServiceWeights,
    *,
    limits: IngestLimits | None = None,
    defaults: SourceDefaults | None = None,
) -> IngestResult:
    if limits is not None:
        limits.check_size(len(data), name)
    if _is_json(data[:_JSON_SNIFF]):
        return _ingest_scan(data, name, services, limits, defaults or SourceDefaults())
    return _ingest(source_from_bytes(data, name), name, services, limits)


def _head_of(path: Path, name: str) -> bytes:
    with reading(path), path.open("rb") as handle:
        return handle.read(_JSON_SNIFF)


def _is_json(head: bytes) -> bool:
    """Scanner formats are JSON documents (legacy Trivy writes a bare `null`); CSV never
    starts with a brace or bracket."""
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return first[:1] in (b"{", b"[") or first.rstrip() == b"null"


def _ingest(
    src: DecodedSource, name: str, services: ServiceWeights, limits: IngestLimits | None
) -> IngestResult:
    watch = limits.stopwatch(name) if limits is not None else None
    normalized, ignored = check_header(read_header(src, name), name)
    table, broken_rows, encoding = read_table(src, name, normalized)
    report = IngestReport(source_name=name, encoding=encoding, ignored_columns=ignored)
    return _check(table, broken_rows, report, services, limits, watch)


def _ingest_scan(
    data: bytes, name: str, services: ServiceWeights, limits: IngestLimits | None, defaults: SourceDefaults
) -> IngestResult:
    watch = limits.stopwatch(name) if limits is not None else None
    parse = parse_scan(data, name)
    if not parse.records:
        raise BadInputError(f"{name}: no findings to import: {parse.empty_reason or 'the file holds none'}")
    suppressed, listed = suppressed_findings(parse)
    if suppressed == len(parse.records):
        raise BadInputError(
            f"{name}: all {suppressed:,} results are suppressed or dismissed in the file, so there is "
            "nothing to remediate"
        )
    table, refs = scan_table(parse, name, defaults)
    report = IngestReport(
        source_name=name,
        encoding="utf-8",
        format=parse.format,
        format_label=parse.format_label,
        tools=parse.tools,
        suppressed=suppressed,
        suppressed_findings=listed,
        not_findings=parse.not_findings,
    )
    result = _check(table, [], report, services, limits, watch)
    for problem in (*report.rejected, *report.warnings):
        problem.ref = refs[problem.row - 1]
    return result


def _check(
    table: pd.DataFrame,
    broken_rows: list[RowProblem],
    report: IngestReport,
    services: ServiceWeights,
    limits: IngestLimits | None,
    watch: Stopwatch | None,
) -> IngestResult:
    name = report.source_name
    blank = blank_rows(table)
    data_rows = len(table) - int(blank.sum()) + len(broken_rows)
    if limits is not None and watch is not None:
        limits.check_rows(data_rows, name)
        watch.check("reading the rows")
    codes = TableCodes(table)
    checked = check_rows(table, blank, codes)
    if watch is not None:
        watch.check("checking the rows")
    keep = ~blank & ~checked.bad
    ids = dense_rank(table["finding_id"])
    locations = location_keys(table, checked, codes)
    reused = reject_reused_ids(table, ids, locations, keep)
    usable = int(keep.sum())
    survivors, absorbed, groups = merge_duplicates(table, checked, codes, locations, keep)
    order = priority_order(
        checked.severity_weight, checked.category_weight, codes["service_name"], ids, survivors, services
    )
    if watch is not None:
        watch.check("merging duplicates")

    report.blank_rows = int(blank.sum())
    report.total_rows = data_rows
    report.rejected = sorted([*broken_rows, *checked.errors, *reused], key=lambda p: (p.row, p.column or ""))
    report.rejected_rows = len(rejected_rows := {p.row for p in report.rejected})
    # A refused row's lesser problems would only bury the reason it was refused.
    report.warnings = [w for w in checked.warnings if w.row not in rejected_rows]
    report.merged_groups = groups
    report.duplicates_merged = usable - len(survivors)
    report.accepted = len(order.positions)
    _count_categories(report, checked, order)
    if report.total_rows == 0:
        raise BadInputError(f"{name}: the file has a header but no data rows")
    return IngestResult(report=report, table=table, checked=checked, order=order, absorbed=absorbed)


def _count_categories(report: IngestReport, checked: CheckedRows, order: PriorityOrder) -> None:
    categories = checked.category[order.positions]
    has_cwe = checked.cwe_id[order.positions] != ""
    counts = pd.Series(categories, dtype=object).value_counts(sort=False)
    report.categories = {
        str(name): int(count) for name, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    }
    report.with_cwe = int(has_cwe.sum())
    report.other_with_cwe = int((has_cwe & (categories == "other")).sum())
