"""Decide whether a file's bytes are CSV text before parsing: empty, binary, JSON and markup
files are refused with a message that says what the file looks like."""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import BadInputError

_SNIFF_BYTES = 8192
# Control characters that never appear in text files (tab, CR, LF and form feed excluded).
_BINARY_CONTROL = bytes(range(0, 9)) + bytes([11]) + bytes(range(14, 32))


@dataclass(frozen=True)
class DecodedSource:
    data: bytes  # a UTF-8 byte-order mark stays: it sits in the header row, which is parsed apart
    encoding: str  # the codec the parser should use


def decode_source(data: bytes, name: str) -> DecodedSource:
    """Refuses what is plainly not CSV text. Full UTF-8 validity is left to the parser, which
    reads every byte anyway (see `read_table`): checking it here would double the cost."""
    if not data or data.isspace():
        raise BadInputError(f"{name}: the file is empty")
    head = data[:_SNIFF_BYTES]
    if b"\x00" in head or _control_ratio(head) > 0.05:
        raise BadInputError(f"{name}: this is a binary file, not a CSV text file")
    encoding = "utf-8"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not merely a character cut at the sniff boundary
            encoding = "cp1252"
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if first in (b"{", b"["):
        raise BadInputError(
            f"{name}: this looks like a JSON document, not a CSV file "
            "(expected a header row such as finding_id,category,severity,title,service_name)"
        )
    if first == b"<":
        raise BadInputError(f"{name}: this looks like XML or HTML, not a CSV file")
    return DecodedSource(data=data, encoding=encoding)


def fallback_encoding(src: DecodedSource, name: str) -> DecodedSource:
    """The source re-labelled cp1252 after the parser met bytes that are not UTF-8.

    Spreadsheet exports on Windows are often cp1252; it decodes any byte sequence except
    five unused bytes, which mean the file is not text."""
    try:
        src.data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise BadInputError(f"{name}: the file is neither UTF-8 nor cp1252 text") from exc
    return DecodedSource(data=src.data, encoding="cp1252")


def _control_ratio(head: bytes) -> float:
    if not head:
        return 0.0
    controls = sum(head.count(bytes([c])) for c in _BINARY_CONTROL)
    return controls / len(head)
