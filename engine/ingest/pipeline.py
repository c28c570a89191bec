"""File -> checked and merged findings plus a report of everything that happened. Scoring and
ordering them is the plan's work (engine/launch/planner.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import TypeAdapter

from engine.core.coded import TableCodes, dense_rank
from engine.core.errors import BadInputError, reading
from engine.core.models import Finding
from engine.core.sources import SourceDefaults
from engine.ingest.columns import COLUMNS
from engine.ingest.decode import DecodedSource, source_from_bytes, source_from_path
from engine.ingest.dedupe import location_keys, merge_duplicates, reject_reused_ids
from engine.ingest.encoding import UTF16_BOMS, from_utf16
from engine.ingest.identity import csv_fingerprints
from engine.ingest.limits import IngestLimits, Stopwatch
from engine.ingest.report import REPLACED_ROWS_LISTED, IngestReport, RowProblem
from engine.ingest.rows import CheckedRows, check_rows, normalize_path
from engine.ingest.scan_table import scan_table, suppressed_findings
from engine.ingest.table import blank_rows, check_header, read_header, read_table
from engine.scanners import parse_scan, unlimited

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
    # The checked table in file order, and the accepted rows' positions, most severe first
    # (then by finding_id): reordering every column eagerly would cost more than the whole check.
    table: pd.DataFrame = field(repr=False)
    checked: CheckedRows = field(repr=False)
    positions: np.ndarray = field(repr=False)
    absorbed: dict[int, list[str]] = field(repr=False)

    @cached_property
    def findings(self) -> list[Finding]:
        """The accepted findings, most severe first; built on first use, as large files rarely
        need them all."""
        return _FINDINGS.validate_python(self.records())

    def records(self) -> list[dict]:
        """The accepted findings as plain dicts of Finding's fields (unvalidated, in the same
        order): what `findings` validates, and what `ingest --json` writes without building
        a model per finding."""
        columns = self.columns()
        names = list(columns)
        return [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]

    def columns(self) -> dict[str, list]:
        """The accepted findings column by column (Finding's fields -> one value per finding):
        one Python call per cell is what a 100,000-row file cannot afford."""
        c = self.checked
        p = self.positions
        rows = p.tolist()
        columns: dict[str, list] = {}
        for name in _TEXT_COLUMNS:
            columns[name] = _stripped_cells(self.table[name], p)
        paths = [normalize_path(v) or None for v in c.paths.values] + [None]  # [-1]: no path
        columns.update(
            severity=c.severity[p].tolist(),
            category=c.category[p].tolist(),
            line_number=c.line_number[p].tolist(),
            cwe_id=[v or None for v in c.cwe_id[p].tolist()],
            file_path=[paths[code] for code in c.paths.codes[p].tolist()],
            merged_ids=[self.absorbed.get(position, []) for position in rows],
            source_row=self.table.index.to_numpy()[p].tolist(),
            priority=[None] * len(rows),  # the plan scores and ranks findings; ingest does not
            priority_rank=[None] * len(rows),
        )
        given = _column(self.table["fingerprint"])
        columns["fingerprint"] = csv_fingerprints(columns, [given[i] for i in rows])
        return columns


def _stripped_cells(values: pd.Series, positions: np.ndarray) -> list[str | None]:
    """The cells at `positions`, stripped ("" -> None). A column with fewer distinct values
    than rows (services, scanners, versions...) is stripped once per distinct value, and its
    findings share the strings."""
    codes, uniques = pd.factorize(values)
    if len(uniques) * 2 > len(values):  # mostly distinct: strip each cell
        cells = _column(values)
        return [text if (text := cells[i].strip()) else None for i in positions.tolist()]
    distinct = [text if (text := value.strip()) else None for value in uniques.tolist()]
    distinct.append(None)  # code -1: missing
    return [distinct[code] for code in codes[positions].tolist()]


def _column(values: pd.Series) -> list[str]:
    """A string column as Python strings (Arrow's own conversion: iterating it is slow)."""
    array = values.array
    native = getattr(array, "_pa_array", None)
    return native.to_pylist() if native is not None else values.tolist()


def ingest_file(
    path: Path,
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
    head = _head_of(path, name)
    if head.startswith(UTF16_BOMS) or _is_json(head):
        with reading(path):
            data = path.read_bytes()
        return _ingest_data(data, name, limits, defaults)
    return _ingest(source_from_path(path, name), name, limits)


def ingest_bytes(
    data: bytes,
    name: str,
    *,
    limits: IngestLimits | None = None,
    defaults: SourceDefaults | None = None,
) -> IngestResult:
    if limits is not None:
        limits.check_size(len(data), name)
    return _ingest_data(data, name, limits, defaults)


def _ingest_data(
    data: bytes,
    name: str,
    limits: IngestLimits | None,
    defaults: SourceDefaults | None,
) -> IngestResult:
    """A file's bytes, CSV or JSON; UTF-16 text (with its byte-order mark) is read as the
    same text in UTF-8."""
    label = "utf-8"
    if (transcoded := from_utf16(data, name)) is not None:
        data, label = transcoded, "utf-16"
    if _is_json(data[:_JSON_SNIFF]):
        return _ingest_scan(data, name, limits, defaults or SourceDefaults(), label)
    return _ingest(source_from_bytes(data, name, label), name, limits)


def _head_of(path: Path, name: str) -> bytes:
    with reading(path), path.open("rb") as handle:
        return handle.read(_JSON_SNIFF)


def _is_json(head: bytes) -> bool:
    """Scanner formats are JSON documents (legacy Trivy writes a bare `null`); CSV never
    starts with a brace or bracket."""
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return first[:1] in (b"{", b"[") or first.rstrip() == b"null"


def _ingest(src: DecodedSource, name: str, limits: IngestLimits | None) -> IngestResult:
    watch = limits.stopwatch(name) if limits is not None else None
    normalized, ignored = check_header(read_header(src, name), name)
    read, decoded = read_table(src, name, normalized, limits, watch)
    if decoded is not src:  # decoded again on the evidence of every byte: so is the header
        _, ignored = check_header(read_header(decoded, name), name)
    encoding = decoded.encoding
    report = IngestReport(
        source_name=name,
        encoding=encoding.label,
        replaced_bytes=encoding.replaced_bytes,
        replaced_rows=encoding.replaced_rows[:REPLACED_ROWS_LISTED],
        ignored_columns=ignored,
    )
    result = _check(read.frame, read.problems, read.blank_rows, report, limits, watch)
    if encoding.replaced_bytes:
        report.warnings = sorted(
            [*report.warnings, *_replaced_warnings(read.frame, report.replaced_rows)],
            key=lambda p: (p.row, p.column or ""),
        )
    return result


def _replaced_warnings(table: pd.DataFrame, rows: list[int]) -> list[RowProblem]:
    """One warning per data row holding bytes that were not UTF-8, naming the cells that show
    U+FFFD. (The header row, row 1, is named in the report's replaced rows: it has no finding.)"""
    warnings = []
    for row in rows:
        if row < 2:
            continue
        cells = [(c, v) for c in COLUMNS if "\ufffd" in (v := table.at[row, c])] if row in table.index else []
        warnings.append(
            RowProblem(
                row=row,
                column=", ".join(c for c, _ in cells) or None,
                reason="bytes that are not valid UTF-8 replaced with U+FFFD (\ufffd); the rest of the file "
                "is UTF-8",
                value=_clip(cells[0][1]) if cells else None,
            )
        )
    return warnings


def _clip(value: str, limit: int = 120) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _ingest_scan(
    data: bytes,
    name: str,
    limits: IngestLimits | None,
    defaults: SourceDefaults,
    label: str = "utf-8",
) -> IngestResult:
    watch = limits.stopwatch(name) if limits is not None else None
    budget = limits.scan_budget(name, watch) if limits is not None and watch is not None else unlimited(name)
    parse = parse_scan(data, name, budget)
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
        encoding=label,
        format=parse.format,
        format_label=parse.format_label,
        tools=parse.tools,
        suppressed=suppressed,
        suppressed_findings=listed,
        not_findings=parse.not_findings,
    )
    result = _check(table, [], 0, report, limits, watch)
    for problem in (*report.rejected, *report.warnings):
        problem.ref = refs[problem.row - 1]
    return result


def _check(
    table: pd.DataFrame,
    broken_rows: list[RowProblem],
    blank_lines: int,
    report: IngestReport,
    limits: IngestLimits | None,
    watch: Stopwatch | None,
) -> IngestResult:
    name = report.source_name
    blank = blank_rows(table)
    data_rows = len(table) - int(blank.sum()) + len(broken_rows)
    if limits is not None and watch is not None:
        limits.check_rows(data_rows, name)
        watch.check("after reading the rows")
    codes = TableCodes(table)
    checked = check_rows(table, blank, codes)
    if watch is not None:
        watch.check("after checking the rows")
    keep = ~blank & ~checked.bad
    ids = dense_rank(table["finding_id"])
    locations = location_keys(table, checked, codes)
    reused = reject_reused_ids(table, ids, locations, keep)
    usable = int(keep.sum())
    survivors, absorbed, groups = merge_duplicates(table, checked, codes, locations, keep)
    positions = severity_order(checked.severity_weight, ids, survivors)
    if watch is not None:
        watch.check("after merging duplicates")

    report.blank_rows = int(blank.sum()) + blank_lines
    report.total_rows = data_rows
    report.rejected = sorted([*broken_rows, *checked.errors, *reused], key=lambda p: (p.row, p.column or ""))
    report.rejected_rows = len(rejected_rows := {p.row for p in report.rejected})
    # A refused row's lesser problems would only bury the reason it was refused.
    report.warnings = [w for w in checked.warnings if w.row not in rejected_rows]
    report.merged_groups = groups
    report.duplicates_merged = usable - len(survivors)
    report.accepted = len(positions)
    _count_categories(report, checked, positions)
    if report.total_rows == 0:
        raise BadInputError(f"{name}: the file has a header but no data rows")
    return IngestResult(report=report, table=table, checked=checked, positions=positions, absorbed=absorbed)


def severity_order(severity_weight: np.ndarray, id_order: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """`positions` most severe first, then by finding_id (`id_order`: each row's rank among the
    ids), so the same file always lists the same way."""
    order = np.lexsort((id_order[positions], -severity_weight[positions]))
    return positions[order]


def _count_categories(report: IngestReport, checked: CheckedRows, positions: np.ndarray) -> None:
    categories = checked.category[positions]
    has_cwe = checked.cwe_id[positions] != ""
    counts = pd.Series(categories, dtype=object).value_counts(sort=False)
    report.categories = {
        str(name): int(count) for name, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    }
    report.with_cwe = int(has_cwe.sum())
    report.other_with_cwe = int((has_cwe & (categories == "other")).sum())
