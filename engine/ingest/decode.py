"""Decide whether a file's bytes are CSV text before parsing: empty, binary, JSON and markup
files are refused with a message that says what the file looks like."""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from pathlib import Path

from engine.errors import BadInputError, reading

HEAD_BYTES = 65536  # enough for any header row; the rest of the file is the parser's

_SNIFF_BYTES = 8192
# Control characters that never appear in text files (tab, CR, LF and form feed excluded).
_BINARY_CONTROL = bytes(range(0, 9)) + bytes([11]) + bytes(range(14, 32))


@dataclass(frozen=True)
class DecodedSource:
    """A findings file to parse: a path (which pandas reads about twice as fast as the same
    bytes in memory) or bytes. A UTF-8 byte-order mark stays: it sits in the header row,
    which is parsed apart."""

    head: bytes  # the first HEAD_BYTES
    encoding: str  # the codec the parser should use
    path: Path | None = None
    data: bytes | None = None

    def parser_input(self) -> str | io.BytesIO:
        return str(self.path) if self.path is not None else io.BytesIO(self.data or b"")

    def read_all(self) -> bytes:
        return self.path.read_bytes() if self.path is not None else (self.data or b"")


def source_from_bytes(data: bytes, name: str) -> DecodedSource:
    return decode_source(data[:HEAD_BYTES], name, whole=len(data) <= HEAD_BYTES, data=data)


def source_from_path(path: Path, name: str) -> DecodedSource:
    with reading(path):
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
    return decode_source(head, name, whole=size <= HEAD_BYTES, path=path)


def decode_source(
    head: bytes, name: str, *, whole: bool, path: Path | None = None, data: bytes | None = None
) -> DecodedSource:
    """Refuses what is plainly not CSV text, judging by the file's head. Full UTF-8 validity
    is left to the parser, which reads every byte anyway (see `read_table`)."""
    if whole and (not head or head.isspace()):
        raise BadInputError(f"{name}: the file is empty")
    sniff = head[:_SNIFF_BYTES]
    if b"\x00" in sniff or _control_ratio(sniff) > 0.05:
        raise BadInputError(f"{name}: this is a binary file, not a CSV text file")
    encoding = "utf-8"
    try:
        sniff.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sniff) - 4:  # not merely a character cut at the sniff boundary
            encoding = "cp1252"
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if first in (b"{", b"["):
        raise BadInputError(
            f"{name}: this looks like a JSON document, not a CSV file "
            "(expected a header row such as finding_id,category,severity,title,service_name)"
        )
    if first == b"<":
        raise BadInputError(f"{name}: this looks like XML or HTML, not a CSV file")
    if not first:
        raise BadInputError(f"{name}: the file is empty")
    return DecodedSource(head=head, encoding=encoding, path=path, data=data)


def fallback_encoding(src: DecodedSource, name: str) -> DecodedSource:
    """The source re-labelled cp1252 after the parser met bytes that are not UTF-8.

    Spreadsheet exports on Windows are often cp1252; it decodes any byte sequence except
    five unused bytes, which mean the file is not text."""
    try:
        src.read_all().decode("cp1252")
    except UnicodeDecodeError as exc:
        raise BadInputError(f"{name}: the file is neither UTF-8 nor cp1252 text") from exc
    return replace(src, encoding="cp1252")


def _control_ratio(head: bytes) -> float:
    if not head:
        return 0.0
    controls = sum(head.count(bytes([c])) for c in _BINARY_CONTROL)
    return controls / len(head)
