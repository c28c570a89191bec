"""Row checks over the whole table at once: enums, required values, line numbers, CWE ids.

Low-cardinality columns are normalized through their distinct values, so a 100,000-row file
costs a handful of dictionary look-ups per distinct spelling rather than per row."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from engine.ingest.columns import COLUMNS, REQUIRED_VALUES, category_from, cwe_from, severity_from
from engine.ingest.report import RowProblem
from engine.models import FindingCategory, Severity

MAX_LINE_NUMBER = 10_000_000
_SEVERITIES = ", ".join(s.value for s in Severity)


def drop_blank_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    blank = (frame[list(COLUMNS)] == "").all(axis=1)
    return frame[~blank], int(blank.sum())


def check_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[RowProblem], list[RowProblem]]:
    """Returns (usable rows with normalized values, errors, warnings)."""
    errors: list[RowProblem] = []
    warnings: list[RowProblem] = []
    bad = pd.Series(False, index=frame.index)

    def report(mask: pd.Series, column: str, reason: Callable[[str], str], into: list) -> None:
        for row, value, fid in zip(
            frame.index[mask], frame.loc[mask, column], frame.loc[mask, "finding_id"], strict=True
        ):
            into.append(
                RowProblem(
                    row=int(row),
                    column=column,
                    reason=reason(value),
                    value=value or None,
                    finding_id=fid or None,
                )
            )

    for column in REQUIRED_VALUES:
        empty = frame[column] == ""
        if empty.any():
            report(empty, column, lambda _v, c=column: f"{c} is empty", errors)
            bad |= empty

    severity = _map_distinct(frame["severity"], lambda v: s.value if (s := severity_from(v)) else None)
    unknown = severity.isna() & (frame["severity"] != "")
    if unknown.any():
        report(
            unknown,
            "severity",
            lambda v: f"unknown severity {v!r} (expected one of: {_SEVERITIES})",
            errors,
        )
        bad |= unknown

    category = _map_distinct(frame["category"], lambda v: c.value if (c := category_from(v)) else None)
    unknown_cat = category.isna() & (frame["category"] != "")
    if unknown_cat.any():
        report(
            unknown_cat,
            "category",
            lambda v: f"unknown category {v!r}, treated as 'other'",
            warnings,
        )
        category = category.where(~unknown_cat, FindingCategory.other.value)

    line = frame["line_number"]
    digits = line.str.fullmatch(r"\d+(?:\.0+)?")
    line_value = pd.to_numeric(line.where(digits, None).str.split(".").str[0], errors="coerce")
    bad_line = (line != "") & ~(digits & (line_value >= 1) & (line_value <= MAX_LINE_NUMBER))
    if bad_line.any():
        report(
            bad_line,
            "line_number",
            lambda v: f"line_number {v!r} is not a whole number from 1 to {MAX_LINE_NUMBER:,}",
            errors,
        )
        bad |= bad_line

    cwe = _map_distinct(frame["cwe_id"], lambda v: cwe_from(v) if v else "")
    bad_cwe = cwe.isna()
    if bad_cwe.any():
        report(
            bad_cwe,
            "cwe_id",
            lambda v: f"cwe_id {v!r} is not a CWE id such as CWE-89; ignored",
            warnings,
        )
        cwe = cwe.fillna("")

    out = frame.assign(
        severity=severity,
        category=category,
        cwe_id=cwe,
        line_number=line_value.astype("Int64"),
        file_path=_normalize_paths(frame["file_path"]),
    )
    return out[~bad], errors, warnings


def _map_distinct(series: pd.Series, fn: Callable[[str], str | None]) -> pd.Series:
    table = {value: fn(value) for value in series.unique()}
    return series.map(table)


def _normalize_paths(paths: pd.Series) -> pd.Series:
    """'.\\src\\a.py' and 'src/a.py' name the same file."""
    return paths.str.replace("\\", "/", regex=False).str.replace(r"^(?:\./)+", "", regex=True)
