"""CSV bytes -> a DataFrame of stripped strings, one row per record, indexed by spreadsheet row.

The fast path is pandas' C parser. Files it refuses (a row with more cells than the header,
unbalanced quotes) go through the csv module instead, which can say which rows are broken,
so those rows are reported rather than failing the whole file.

With limits, both read the file in chunks of rows, count its data rows as they go and stop at
the chunk that crosses MAX_ROWS_PER_RUN, reading the clock between chunks. Blank rows are
dropped as they are read (and counted): a file of millions of empty lines costs a count, not
a table."""

from __future__ import annotations

import csv
import io
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from engine.core.errors import BadInputError
from engine.ingest.columns import COLUMNS, REQUIRED_COLUMNS, normalize_name
from engine.ingest.decode import DecodedSource
from engine.ingest.limits import IngestLimits, Stopwatch
from engine.ingest.report import RowProblem

FIRST_DATA_ROW = 2  # the header is row 1
CHUNK_ROWS = 50_000  # with limits; files up to this many rows are read in one piece
_TOLERANT_CLOCK_EVERY = 8192
# Arrow-backed strings: pandas parses into them directly and their .str methods run in C++.
ARROW_STR = pd.ArrowDtype(pa.string())
# Stripped for every row: ids and paths are compared row by row. The other columns are
# stripped where they are used: per distinct value, or when findings are built.
STRIPPED_COLUMNS = frozenset({"finding_id", "file_path"})


def read_header(src: DecodedSource, name: str) -> list[str]:
    text = src.head.decode(src.encoding.codec, errors="replace")
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


@dataclass
class CsvTable:
    """What reading a CSV gave: the known columns as strings ('' for empty; see STRIPPED_COLUMNS),
    indexed by spreadsheet row, blank rows left out; the rows too broken to read; how many blank
    rows were left out."""

    frame: pd.DataFrame
    problems: list[RowProblem] = field(default_factory=list)
    blank_rows: int = 0


@dataclass
class _RowCount:
    """The data rows read so far, against the row limit, and the clock between chunks."""

    name: str
    limits: IngestLimits | None
    watch: Stopwatch | None
    rows: int = 0

    def add(self, rows: int, *, complete: bool) -> None:
        self.rows += rows
        if self.limits is not None:
            self.limits.check_rows(self.rows, self.name, complete=complete)

    def check_time(self, row: int) -> None:
        if self.watch is not None:
            self.watch.check(f"while reading row {row:,}")


def read_table(
    src: DecodedSource,
    name: str,
    normalized: list[str],
    limits: IngestLimits | None = None,
    watch: Stopwatch | None = None,
) -> tuple[CsvTable, DecodedSource]:
    """The table of a CSV, and the source as finally decoded; over `limits`, refused as soon as
    a chunk of rows crosses them."""
    try:
        return _read(src, name, normalized, limits, watch), src
    except UnicodeDecodeError:  # strict UTF-8 met a byte that is not: weigh every byte
        src = src.with_evidence()
        return _read(src, name, normalized, limits, watch), src


def _read(
    src: DecodedSource, name: str, normalized: list[str], limits: IngestLimits | None, watch: Stopwatch | None
) -> CsvTable:
    try:
        return _read_fast(src, normalized, _RowCount(name, limits, watch))
    except UnicodeDecodeError:
        raise
    except (pd.errors.ParserError, pd.errors.ParserWarning, csv.Error, ValueError):
        return _read_tolerant(src, name, normalized, _RowCount(name, limits, watch))


def blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows with no value at all (blank lines): skipped, and counted in the report."""
    blank = (frame["finding_id"] == "").to_numpy(dtype=bool)
    if not blank.any():  # the usual case: every row has an id
        return blank
    for column in COLUMNS[1:]:
        blank &= (frame[column].str.strip() == "").to_numpy(dtype=bool)
    return blank


def _known_columns(frame: pd.DataFrame) -> pd.DataFrame:
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
    return pd.DataFrame(columns, index=frame.index)


def _without_blank(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    blank = blank_rows(frame)
    if not blank.any():
        return frame, 0
    return frame[~blank], int(blank.sum())


def _empty(values: pd.Series) -> np.ndarray:
    values = values.fillna("")
    return ((values == "") | values.str.isspace()).to_numpy(dtype=bool)


def _raw_blank(chunk: pd.DataFrame) -> np.ndarray:
    """`blank_rows` of a chunk as parsed, before the known columns are built: a chunk that is
    mostly blank lines then costs little more than its parse."""
    blank = _empty(chunk["finding_id"])
    if blank.any():
        for column in COLUMNS[1:]:
            if column in chunk.columns:
                blank &= _empty(chunk[column])
    return blank


def _unique_names(normalized: list[str]) -> list[str]:
    """Known columns keep their names; the others get unique placeholders, because the parser
    must see every column to notice a row with more cells than the header."""
    return [n if n in COLUMNS else f"_ignored_{i}" for i, n in enumerate(normalized)]


def _read_fast(src: DecodedSource, normalized: list[str], count: _RowCount) -> CsvTable:
    chunk_rows = CHUNK_ROWS if count.limits is not None else None
    with warnings.catch_warnings():
        # pandas drops extra cells of the first data row with only this warning (and raises
        # for any later row); make it an error so the exact reader reports that row.
        warnings.simplefilter("error", pd.errors.ParserWarning)
        read = pd.read_csv(
            src.parser_input(),
            encoding=src.encoding.codec,
            encoding_errors=src.encoding.errors,
            header=0,
            names=_unique_names(normalized),
            index_col=False,  # never read a row's extra cells as an index
            dtype=ARROW_STR,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            on_bad_lines="error",
            chunksize=chunk_rows,
        )
        if isinstance(read, pd.DataFrame):
            return _table([read], count, None)
        with read as chunks:
            return _table(chunks, count, chunk_rows)


def _table(chunks, count: _RowCount, chunk_rows: int | None) -> CsvTable:
    frames: list[pd.DataFrame] = []
    blank = 0
    first = FIRST_DATA_ROW
    for number, chunk in enumerate(chunks):
        if number:
            count.check_time(first)
        size = len(chunk)
        chunk.index = pd.RangeIndex(first, first + size)
        first += size
        raw_blank = _raw_blank(chunk)
        if raw_blank.any():
            chunk = chunk[~raw_blank]
            blank += int(raw_blank.sum())
        frame = _known_columns(chunk)
        count.add(len(frame), complete=chunk_rows is None or size < chunk_rows)
        frames.append(frame)
    if not frames:  # no data rows at all (a chunked read of a header yields nothing)
        frames.append(_known_columns(pd.DataFrame(index=pd.RangeIndex(FIRST_DATA_ROW, FIRST_DATA_ROW))))
    frame = frames[0] if len(frames) == 1 else pd.concat(frames)
    return CsvTable(frame=frame, blank_rows=blank)


def _read_tolerant(src: DecodedSource, name: str, normalized: list[str], count: _RowCount) -> CsvTable:
    encoding = src.encoding
    text = src.read_all().decode(encoding.codec, encoding.errors).removeprefix("\ufeff")
    # strict: an unclosed quote is an error, not a cell that swallows the rest of the file.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    wanted = [(i, n) for i, n in enumerate(normalized) if n in COLUMNS]
    width = len(normalized)
    rows: list[list[str]] = []
    index: list[int] = []
    problems: list[RowProblem] = []
    blank = 0
    row_number, record_line = FIRST_DATA_ROW - 1, 1
    try:
        next(reader)
        record_line = reader.line_num + 1
        for row_number, record in enumerate(reader, start=FIRST_DATA_ROW):
            if not (row_number - FIRST_DATA_ROW + 1) % _TOLERANT_CLOCK_EVERY:
                count.check_time(row_number)
            if len(record) > width and any(cell.strip() for cell in record[width:]):
                problems.append(
                    RowProblem(
                        row=row_number,
                        column=None,
                        reason=f"row has {len(record)} cells but the header has {width}",
                        value=_clip(",".join(record)),
                    )
                )
                count.add(1, complete=False)
            else:
                cells = [record[i] if i < len(record) else "" for i, _ in wanted]
                if _is_blank(cells):
                    blank += 1
                else:
                    rows.append(cells)
                    index.append(row_number)
                    count.add(1, complete=False)
            record_line = reader.line_num + 1
    except csv.Error as exc:
        raise BadInputError(
            f"the file is not valid CSV: row {row_number + 1} (starting on line {record_line}): {exc}"
            + ("; a quoted cell is never closed" if "end of data" in str(exc) else "")
        ) from exc
    frame = pd.DataFrame(rows, columns=[n for _, n in wanted], index=index, dtype=ARROW_STR)
    frame, dropped = _without_blank(_known_columns(frame))
    return CsvTable(frame=frame, problems=problems, blank_rows=blank + dropped)


def _is_blank(cells: list[str]) -> bool:
    """Plainly blank (empty or ASCII spaces only): dropped as it is read. Rows blank only by
    other Unicode spaces are judged with the fast path's rule once the table is built."""
    return not any(cell.strip(" \t\r\n\f\v") for cell in cells)


def _clip(value: str, limit: int = 120) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"
