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
    data: bytes  # without a byte-order mark
    encoding: str  # the codec the parser should use


def decode_source(data: bytes, name: str) -> DecodedSource:
    if not data.strip():
        raise BadInputError(f"{name}: the file is empty")
    head = data[:_SNIFF_BYTES]
    if b"\x00" in head or _control_ratio(head) > 0.05:
        raise BadInputError(f"{name}: this is a binary file, not a CSV text file")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    encoding = "utf-8"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        # Spreadsheet exports on Windows are often cp1252; it decodes any byte sequence
        # except five unused bytes, which we treat as binary.
        try:
            data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise BadInputError(f"{name}: the file is neither UTF-8 nor cp1252 text") from exc
        encoding = "cp1252"
    first = data.lstrip()[:1]
    if first in (b"{", b"["):
        raise BadInputError(
            f"{name}: this looks like a JSON document, not a CSV file "
            "(expected a header row such as finding_id,category,severity,title,service_name)"
        )
    if first == b"<":
        raise BadInputError(f"{name}: this looks like XML or HTML, not a CSV file")
    return DecodedSource(data=data, encoding=encoding)


def _control_ratio(head: bytes) -> float:
    if not head:
        return 0.0
    controls = sum(head.count(bytes([c])) for c in _BINARY_CONTROL)
    return controls / len(head)
