"""Row checks over the whole table at once: enums, required values, line numbers, CWE ids.

Low-cardinality columns (severity, category, CWE, line number) are normalized through their
distinct values (`pd.factorize`), so a 100,000-row file costs one Python call per distinct
spelling rather than per row."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from engine.core.coded import Coded, TableCodes
from engine.core.models import SEVERITY_RANK, FindingCategory, Severity
from engine.ingest.columns import (
    COLUMNS,
    REQUIRED_VALUES,
    category_from,
    cwe_from,
    fingerprint_from,
    severity_from,
)
from engine.ingest.report import RowProblem
from engine.ingest.table import STRIPPED_COLUMNS

MAX_LINE_NUMBER = 10_000_000
# The longest cell a row may hold: the csv module's own limit (which the tolerant reader keeps),
# so both readers refuse the same cells. A longer one is no finding's text; it would travel into
# every prompt, report and state file the finding reaches.
MAX_CELL_CHARS = 131_072
_SHOWN_CHARS = 200  # of a value in a problem report
_FREE_TEXT = frozenset({"title", "description"})
_SEVERITIES = ", ".join(s.value for s in Severity)
_INVALID = "\x00invalid"


def _line(value: str) -> int | str | None:
    value = value.strip()
    if not value:
        return None
    head, _, tail = value.partition(".")
    if head.isdigit() and head.isascii() and (not tail or set(tail) == {"0"}):
        number = int(head)
        if 1 <= number <= MAX_LINE_NUMBER:
            return number
    return _INVALID


@dataclass
class CheckedRows:
    """Normalized columns over every row of the table, and which rows are unusable."""

    severity: np.ndarray
    severity_weight: np.ndarray  # SEVERITY_RANK: higher is more severe (0: unusable)
    category: np.ndarray
    category_codes: np.ndarray
    line_number: np.ndarray  # int or None per row
    line_codes: np.ndarray
    has_line: np.ndarray
    cwe_id: np.ndarray
    paths: Coded  # file_path as given (stripped)
    path_codes: np.ndarray  # equal codes: the same file once normalized
    has_path: np.ndarray
    bad: np.ndarray  # bool per row
    errors: list[RowProblem]
    warnings: list[RowProblem]

    def path(self, position: int) -> str:
        code = self.paths.codes[position]
        return normalize_path(self.paths.values[code]) if code >= 0 else ""


def check_rows(frame: pd.DataFrame, skip: np.ndarray, codes: TableCodes) -> CheckedRows:
    """Checks every row not in `skip` (blank lines)."""
    errors: list[RowProblem] = []
    warnings: list[RowProblem] = []
    bad = np.zeros(len(frame), dtype=bool)
    index = frame.index.to_numpy()

    def report(mask: np.ndarray, column: str, reason: Callable[[str], str], into: list) -> None:
        rows = np.flatnonzero(mask & ~skip)
        values = frame[column].iloc[rows].tolist()
        ids = frame["finding_id"].iloc[rows].tolist()
        for position, value, fid in zip(rows, values, ids, strict=True):
            value = _shown(value.strip())
            into.append(
                RowProblem(
                    row=int(index[position]),
                    column=column,
                    reason=reason(value),
                    value=value or None,
                    finding_id=_shown(fid) or None,
                )
            )

    for column in COLUMNS:
        long = _longer_than(frame[column], MAX_CELL_CHARS) & ~skip
        if long.any():
            report(
                long,
                column,
                lambda _v, c=column: (
                    f"{c} holds more than {MAX_CELL_CHARS:,} characters, the most a cell may hold"
                ),
                errors,
            )
            bad |= long

    for column in REQUIRED_VALUES:
        values = frame[column]
        if column in STRIPPED_COLUMNS:
            empty = (values == "").to_numpy(dtype=bool)
        elif column in _FREE_TEXT:
            empty = ((values == "") | values.str.isspace()).to_numpy(dtype=bool)
        else:  # few distinct values: look at each once
            empty = codes[column].flags(lambda v: not v.strip())
        if empty.any():
            report(empty, column, lambda _v, c=column: f"{c} is empty", errors)
            bad |= empty

    severities = codes["severity"]
    unknown = severities.flags(lambda v: bool(v.strip()) and severity_from(v) is None)
    if unknown.any():
        report(
            unknown, "severity", lambda v: f"unknown severity {v!r} (expected one of: {_SEVERITIES})", errors
        )
        bad |= unknown

    categories = codes["category"]
    unknown_cat = categories.flags(lambda v: bool(v.strip()) and category_from(v) is None)
    if unknown_cat.any():
        report(unknown_cat, "category", lambda v: f"unknown category {v!r}, treated as 'other'", warnings)

    lines = codes["line_number"]
    bad_line = lines.flags(lambda v: _line(v) == _INVALID)
    if bad_line.any():
        report(
            bad_line,
            "line_number",
            lambda v: f"line_number {v!r} is not a whole number from 1 to {MAX_LINE_NUMBER:,}",
            errors,
        )
        bad |= bad_line

    cwes = codes["cwe_id"]
    bad_cwe = cwes.flags(lambda v: bool(v.strip()) and cwe_from(v) is None)
    if bad_cwe.any():
        report(bad_cwe, "cwe_id", lambda v: f"cwe_id {v!r} is not a CWE id such as CWE-89; ignored", warnings)

    fingerprints = codes["fingerprint"]
    bad_fp = fingerprints.flags(lambda v: bool(v.strip()) and fingerprint_from(v) is None)
    if bad_fp.any():
        report(
            bad_fp,
            "fingerprint",
            lambda v: f"fingerprint {v!r} is not 20 hex characters; one is derived from the row instead",
            warnings,
        )

    paths = codes["file_path"]
    return CheckedRows(
        severity=severities.map(lambda v: s.value if (s := severity_from(v)) else None),
        severity_weight=severities.ints(lambda v: SEVERITY_RANK.get(severity_from(v), 0)),
        category=categories.map(_category),
        category_codes=categories.folded(_category),
        line_number=lines.map(lambda v: n if isinstance(n := _line(v), int) else None),
        line_codes=lines.folded(_line),
        has_line=lines.flags(lambda v: isinstance(_line(v), int)),
        cwe_id=cwes.map(lambda v: cwe_from(v) or ""),
        paths=paths,
        path_codes=paths.folded(normalize_path),
        has_path=paths.flags(bool),
        bad=bad & ~skip,
        errors=errors,
        warnings=warnings,
    )


def _longer_than(values: pd.Series, limit: int) -> np.ndarray:
    """Cells of more than `limit` characters. Byte lengths come from the offsets alone, and a
    cell has no more characters than bytes, so characters are counted only when some cell is
    long in bytes."""
    bytes_long = pc.greater(pc.binary_length(values.array.__arrow_array__()), limit)
    if not pc.any(bytes_long).as_py():
        return np.zeros(len(values), dtype=bool)
    return (values.str.len() > limit).to_numpy(dtype=bool)


def _shown(value: str) -> str:
    return value if len(value) <= _SHOWN_CHARS else value[: _SHOWN_CHARS - 1] + "…"


def _category(value: str) -> str:
    """An unknown category counts as 'other' (with a warning)."""
    return (category_from(value) or FindingCategory.other).value


def normalize_path(path: str) -> str:
    """'.\\src\\a.py' and 'src/a.py' name the same file."""
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path
