"""Tables as CSV files that are safe to open in a spreadsheet.

Finding titles, service names and URLs come from uploaded files: a cell such as
`=HYPERLINK("http://evil", "click")` would run as a formula in Excel or LibreOffice. Following
the OWASP CSV injection guidance, every text cell that starts with `=`, `+`, `-`, `@`, a tab or
a carriage return gets a leading apostrophe, which spreadsheets read as "this is text"."""

from __future__ import annotations

import numbers

import pandas as pd

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A text cell made inert; numbers, booleans, dates and missing values stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _safe_cell(value: object) -> object:
    if value is None or isinstance(value, bool | numbers.Number | pd.Timestamp):
        return value
    try:
        if pd.isna(value):  # type: ignore[arg-type]
            return None
    except (TypeError, ValueError):  # a list or array: not a scalar
        pass
    return neutralise(value if isinstance(value, str) else str(value))


def csv_export(table: pd.DataFrame) -> bytes:
    """UTF-8 with a byte-order mark (so spreadsheets pick the right encoding), CRLF line
    endings, no index; formulas neutralised in every text cell, including the header."""
    safe = table.copy()
    for column in safe.columns:
        values = safe[column]
        # Numeric, boolean and datetime columns hold no text; a negative number is a number.
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
            continue
        safe[column] = values.astype(object).map(_safe_cell)
    safe.columns = [neutralise(str(c)) for c in safe.columns]
    return safe.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")
