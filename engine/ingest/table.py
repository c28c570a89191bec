"""CSV bytes -> a DataFrame of stripped strings, one row per record, indexed by spreadsheet row.

The fast path is pandas' C parser. Files it refuses (a row with more cells than the header,
unbalanced quotes) go through the csv module instead, which can say which rows are broken,
so those rows are reported rather than failing the whole file."""

from __future__ import annotations

import csv
import io
import warnings

import pandas as pd
import pyarrow as pa

from engine.errors import BadInputError
from engine.ingest.columns import COLUMNS, REQUIRED_COLUMNS, normalize_name
from engine.ingest.decode import DecodedSource, fallback_encoding
from engine.ingest.report import RowProblem

FIRST_DATA_ROW = 2  # the header is row 1
# Arrow-backed strings: pandas parses into them directly and their .str methods run in C++.
ARROW_STR = pd.ArrowDtype(pa.string())
# Stripped for every row: ids and paths are compared row by row. The other columns are
# stripped where they are used: per distinct value, or when findings are built.
STRIPPED_COLUMNS = frozenset({"finding_id", "file_path"})


def read_header(src: DecodedSource, name: str) -> list[str]:
    text = src.head.decode(src.encoding, errors="replace")
    try:
        header = next(csv.reader(io.StringIO(text, newline="")))
    except (StopIteration, csv.Error) as exc:
        raise BadInputError(f"{name}: cannot read a CSV header row ({exc})") from exc
    return header


def check_header(raw_header: list[str], name: str) -> tuple[list[str], list[str]]:
    """Normalized column names and the columns that will be ignored; refuses bad headers."""
    normalized = [normalize_name(h) for h in raw_header]
    seen: dict[str, str] = {}
    for raw, norm in zip(raw_header, normalized, strict=True):
        if norm in COLUMNS and norm in seen:
            raise BadInputError(f"{name}: column {norm!r} appears twice (as {seen[norm]!r} and {raw!r})")
        seen.setdefault(norm, raw)
    missing = [c for c in REQUIRED_COLUMNS if c not in seen]
    if missing:
        if len(raw_header) == 1:
            raise BadInputError(
                f"{name}: not a comma-separated file (the header row has a single column); "
                f"required columns: {', '.join(REQUIRED_COLUMNS)}"
            )
        raise BadInputError(
            f"{name}: missing required column(s): {', '.join(missing)} "
            f"(found: {', '.join(h.strip() for h in raw_header if h.strip()) or 'none'})"
        )
    ignored = [
        raw.strip()
        for raw, norm in zip(raw_header, normalized, strict=True)
        if norm not in COLUMNS and raw.strip()
    ]
    return normalized, ignored


def read_table(
    src: DecodedSource, name: str, normalized: list[str]
) -> tuple[pd.DataFrame, list[RowProblem], str]:
    """All known columns as strings ('' for empty; see STRIPPED_COLUMNS), indexed by spreadsheet row;
    the rows too broken to read; and the encoding that worked."""
    try:
        frame, problems = _read(src, normalized)
    except UnicodeDecodeError:
        src = fallback_encoding(src, name)
        frame, problems = _read(src, normalized)
    columns = {}
    for column in COLUMNS:
        if column not in frame.columns:
            columns[column] = pd.Series("", index=frame.index, dtype=ARROW_STR)
            continue
        values = frame[column]
        if values.dtype != ARROW_STR:
            values = values.astype(ARROW_STR)
        if values.hasnans:
            values = values.fillna("")
        columns[column] = values.str.strip() if column in STRIPPED_COLUMNS else values
    frame = pd.DataFrame(columns, index=frame.index)
    return frame, problems, src.encoding


def _read(src: DecodedSource, normalized: list[str]) -> tuple[pd.DataFrame, list[RowProblem]]:
    try:
        return _read_fast(src, normalized), []
    except UnicodeDecodeError:
        raise
    except (pd.errors.ParserError, pd.errors.ParserWarning, csv.Error, ValueError):
        return _read_tolerant(src, normalized)


def _unique_names(normalized: list[str]) -> list[str]:
    """Known columns keep their names; the others get unique placeholders, because the parser
    must see every column to notice a row with more cells than the header."""
    return [n if n in COLUMNS else f"_ignored_{i}" for i, n in enumerate(normalized)]


def _read_fast(src: DecodedSource, normalized: list[str]) -> pd.DataFrame:
    with warnings.catch_warnings():
        # pandas drops extra cells of the first data row with only this warning (and raises
        # for any later row); make it an error so the exact reader reports that row.
        warnings.simplefilter("error", pd.errors.ParserWarning)
        frame = pd.read_csv(
            src.parser_input(),
            encoding=src.encoding,
            header=0,
            names=_unique_names(normalized),
            index_col=False,  # never read a row's extra cells as an index
            dtype=ARROW_STR,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            on_bad_lines="error",
        )
    frame.index = pd.RangeIndex(FIRST_DATA_ROW, FIRST_DATA_ROW + len(frame))
    return frame


def _read_tolerant(src: DecodedSource, normalized: list[str]) -> tuple[pd.DataFrame, list[RowProblem]]:
    text = src.read_all().decode(src.encoding).removeprefix("\ufeff")
    # strict: an unclosed quote is an error, not a cell that swallows the rest of the file.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    wanted = [(i, n) for i, n in enumerate(normalized) if n in COLUMNS]
    width = len(normalized)
    rows: list[list[str]] = []
    index: list[int] = []
    problems: list[RowProblem] = []
    row_number, record_line = FIRST_DATA_ROW - 1, 1
    try:
        next(reader)
        record_line = reader.line_num + 1
        for row_number, record in enumerate(reader, start=FIRST_DATA_ROW):
            if len(record) > width and any(cell.strip() for cell in record[width:]):
                problems.append(
                    RowProblem(
                        row=row_number,
                        column=None,
                        reason=f"row has {len(record)} cells but the header has {width}",
                        value=_clip(",".join(record)),
                    )
                )
            else:
                rows.append([record[i] if i < len(record) else "" for i, _ in wanted])
                index.append(row_number)
            record_line = reader.line_num + 1
    except csv.Error as exc:
        raise BadInputError(
            f"the file is not valid CSV: row {row_number + 1} (starting on line {record_line}): {exc}"
            + ("; a quoted cell is never closed" if "end of data" in str(exc) else "")
        ) from exc
    frame = pd.DataFrame(rows, columns=[n for _, n in wanted], index=index, dtype=ARROW_STR)
    return frame, problems


def _clip(value: str, limit: int = 120) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"
