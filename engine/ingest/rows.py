"""Row checks over the whole table at once: enums, required values, line numbers, CWE ids.

Low-cardinality columns (severity, category, CWE, line number) are normalized through their
distinct values (`pd.factorize`), so a 100,000-row file costs one Python call per distinct
spelling rather than per row."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.ingest.coded import Coded
from engine.ingest.columns import COLUMNS, REQUIRED_VALUES, category_from, cwe_from, severity_from
from engine.ingest.report import RowProblem
from engine.models import FindingCategory, Severity
from engine.prioritize import CATEGORY_WEIGHTS, SEVERITY_WEIGHTS

MAX_LINE_NUMBER = 10_000_000
_SEVERITIES = ", ".join(s.value for s in Severity)
_INVALID = "\x00invalid"


def blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows with no value at all (blank lines): skipped, and counted in the report."""
    blank = (frame["finding_id"] == "").to_numpy(dtype=bool)
    if not blank.any():  # the usual case: every row has an id
        return blank
    for column in COLUMNS[1:]:
        blank &= (frame[column].str.strip() == "").to_numpy(dtype=bool)
    return blank


def _line(value: str) -> int | str | None:
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
    severity_weight: np.ndarray
    category: np.ndarray
    category_weight: np.ndarray
    category_codes: np.ndarray
    line_number: np.ndarray  # int or None per row
    line_codes: np.ndarray
    cwe_id: np.ndarray
    file_path: pd.Series
    bad: np.ndarray  # bool per row
    errors: list[RowProblem]
    warnings: list[RowProblem]


def check_rows(frame: pd.DataFrame, skip: np.ndarray) -> CheckedRows:
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
            into.append(
                RowProblem(
                    row=int(index[position]),
                    column=column,
                    reason=reason(value),
                    value=value or None,
                    finding_id=fid or None,
                )
            )

    for column in REQUIRED_VALUES:
        values = frame[column]
        empty = ((values == "") | values.str.isspace()).to_numpy(dtype=bool)
        if empty.any():
            report(empty, column, lambda _v, c=column: f"{c} is empty", errors)
            bad |= empty

    severities = Coded.of(frame["severity"])
    severity = severities.map(lambda v: s.value if (s := severity_from(v)) else v and _INVALID)
    unknown = severity == _INVALID
    if unknown.any():
        report(
            unknown, "severity", lambda v: f"unknown severity {v!r} (expected one of: {_SEVERITIES})", errors
        )
        bad |= unknown

    categories = Coded.of(frame["category"])
    category = categories.map(lambda v: c.value if (c := category_from(v)) else v and _INVALID)
    unknown_cat = category == _INVALID
    if unknown_cat.any():
        report(unknown_cat, "category", lambda v: f"unknown category {v!r}, treated as 'other'", warnings)
        category[unknown_cat] = FindingCategory.other.value

    lines = Coded.of(frame["line_number"])
    line = lines.map(_line)
    bad_line = line == _INVALID
    if bad_line.any():
        report(
            bad_line,
            "line_number",
            lambda v: f"line_number {v!r} is not a whole number from 1 to {MAX_LINE_NUMBER:,}",
            errors,
        )
        bad |= bad_line
        line[bad_line] = None

    cwe = Coded.of(frame["cwe_id"]).map(lambda v: (cwe_from(v) or _INVALID) if v else "")
    bad_cwe = cwe == _INVALID
    if bad_cwe.any():
        report(bad_cwe, "cwe_id", lambda v: f"cwe_id {v!r} is not a CWE id such as CWE-89; ignored", warnings)
        cwe[bad_cwe] = ""

    return CheckedRows(
        severity=severity,
        severity_weight=severities.ints(lambda v: SEVERITY_WEIGHTS.get(severity_from(v), 0)),
        category=category,
        category_weight=categories.ints(
            lambda v: CATEGORY_WEIGHTS[category_from(v) or FindingCategory.other]
        ),
        category_codes=categories.folded(lambda v: c.value if (c := category_from(v)) else "other"),
        line_number=line,
        line_codes=lines.folded(_line),
        cwe_id=cwe,
        file_path=_normalize_paths(frame["file_path"]),
        bad=bad & ~skip,
        errors=errors,
        warnings=warnings,
    )


def _normalize_paths(paths: pd.Series) -> pd.Series:
    """'.\\src\\a.py' and 'src/a.py' name the same file."""
    if not paths.str.contains("\\", regex=False).any() and not paths.str.startswith("./").any():
        return paths
    return paths.str.replace("\\", "/", regex=False).str.replace(r"^(?:\./)+", "", regex=True)
