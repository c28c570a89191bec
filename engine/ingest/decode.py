"""Decide whether a file's bytes are CSV text before parsing, and in which encoding: empty,
binary, JSON and markup files are refused with a message that says what the file looks like;
the encoding is judged on every byte (encoding.py)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from engine.errors import BadInputError, reading
from engine.ingest.encoding import Encoding, choose_encoding

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
    encoding: Encoding  # how the parser decodes the bytes
    path: Path | None = None
    data: bytes | None = None

    def parser_input(self) -> str | io.BytesIO:
        return str(self.path) if self.path is not None else io.BytesIO(self.data or b"")

    def read_all(self) -> bytes:
        return self.path.read_bytes() if self.path is not None else (self.data or b"")


def source_from_bytes(data: bytes, name: str, label: str = "utf-8") -> DecodedSource:
    """`label`: what the bytes were before they became UTF-8 (utf-16), for the report."""
    return decode_source(data, name, label=label)


def source_from_path(path: Path, name: str) -> DecodedSource:
    with reading(path):
        data = path.read_bytes()  # for the encoding's evidence; pandas reads the path itself
    return decode_source(data, name, path=path)


def decode_source(data: bytes, name: str, *, path: Path | None = None, label: str = "utf-8") -> DecodedSource:
    """Refuses what is plainly not CSV text, judging by the file's head, then chooses the
    encoding by every byte. The bytes are kept for the parser only when there is no path."""
    head = data[:HEAD_BYTES]
    if not data or data.isspace():
        raise BadInputError(f"{name}: the file is empty")
    sniff = head[:_SNIFF_BYTES]
    if b"\x00" in sniff or _control_ratio(sniff) > 0.05:
        raise BadInputError(f"{name}: this is a binary file, not a CSV text file")
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
    encoding = choose_encoding(data, name, label)
    return DecodedSource(head=head, encoding=encoding, path=path, data=None if path else data)


def _control_ratio(head: bytes) -> float:
    if not head:
        return 0.0
    controls = sum(head.count(bytes([c])) for c in _BINARY_CONTROL)
    return controls / len(head)
