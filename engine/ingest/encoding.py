"""Which encoding a findings file is in, decided by the evidence of all its bytes.

- A UTF-16 byte-order mark: UTF-16 (spreadsheets save "Unicode text" so); the text is handed on
  as UTF-8 and reported as read from UTF-16.
- Valid UTF-8 (a UTF-8 byte-order mark allowed): UTF-8.
- UTF-8 except for some bytes: when the characters that do decode as multi-byte UTF-8 are at
  least as many as the bytes that do not, the file is UTF-8 that was damaged (a stray byte, a
  cut character); it is read as UTF-8 with each bad byte replaced by U+FFFD and the rows that
  hold them named in warnings. Reading it as cp1252 instead would silently turn every one of
  its real characters into two or three wrong ones ("café" -> "cafÃ©").
- Otherwise, when the bytes decode as cp1252 (Windows spreadsheet exports): cp1252. Text that
  really is cp1252 almost never forms a UTF-8 sequence: its accented letters are single bytes
  followed by ASCII.
- Neither: refused.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import deque
from dataclasses import dataclass, field

from engine.core.errors import BadInputError
from engine.core.utf8 import is_utf8

UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_ASCII = bytes(range(128))
_ESCAPED = re.compile("[\udc80-\udcff]")  # a byte that is not UTF-8, as surrogateescape keeps it


@dataclass(frozen=True)
class Encoding:
    """How to decode a file's bytes, and what that cost."""

    codec: str  # what the parser decodes with: utf-8 or cp1252
    label: str  # what the report says the file was: utf-8, cp1252 or utf-16
    errors: str = "strict"  # "replace": bytes that are not UTF-8 become U+FFFD
    replaced_bytes: int = 0
    replaced_rows: list[int] = field(default_factory=list)  # spreadsheet rows (header = 1), in order


def from_utf16(data: bytes, name: str) -> bytes | None:
    """A file that starts with a UTF-16 byte-order mark, as UTF-8 bytes; None for any other."""
    if not data.startswith(UTF16_BOMS):
        return None
    try:
        text = data.decode("utf-16")
    except UnicodeDecodeError as exc:
        raise BadInputError(
            f"{name}: the file starts as UTF-16 text but is not valid UTF-16 (at byte {exc.start:,})"
        ) from exc
    return text.encode("utf-8")


def choose_encoding(data: bytes, name: str, label: str = "utf-8") -> Encoding:
    """The encoding the evidence points to (see the module's docstring). `label`: what the
    bytes were before they became UTF-8 (utf-16), for the report."""
    if is_utf8(data):
        return Encoding("utf-8", label)
    text = data.decode("utf-8", "surrogateescape")  # each bad byte kept as one lone surrogate
    bad = len(data) - len(text.encode("utf-8", "ignore"))
    ascii_bytes = len(data) - len(data.translate(None, _ASCII))
    multibyte = len(text) - ascii_bytes - bad  # characters that decoded from 2-4 bytes
    if multibyte >= bad:
        return Encoding("utf-8", label, "replace", bad, replaced_rows(text))
    try:
        data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise BadInputError(
            f"{name}: the file is neither UTF-8 nor cp1252 text ({bad:,} bytes are not UTF-8; byte "
            f"0x{data[exc.start]:02x} at offset {exc.start:,} is not cp1252); save it as UTF-8"
        ) from exc
    return Encoding("cp1252", "cp1252")


def replaced_rows(text: str) -> list[int]:
    """The CSV records (spreadsheet rows: the header is row 1) whose lines hold a bad byte.

    Rows are counted as the parsers count them: a quoted cell may span lines, and a blank line
    is a row."""
    pending: deque[int] = deque()

    def lines():
        for number, line in enumerate(io.StringIO(text, newline=""), start=1):
            if _ESCAPED.search(line):
                pending.append(number)
            yield line

    rows: list[int] = []
    source = lines()
    reader = csv.reader(source)
    try:
        for row, _record in enumerate(reader, start=1):
            if pending and pending[0] <= reader.line_num:
                rows.append(row)
                while pending and pending[0] <= reader.line_num:
                    pending.popleft()
    except csv.Error:  # e.g. a cell over the csv module's size limit: name the rest by line
        for _line in source:
            pass
        rows.extend(n for n in pending if not rows or n > rows[-1])
    return rows
