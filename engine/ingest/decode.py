"""Decide whether a file's bytes are CSV text before parsing, and in which encoding: empty,
binary, JSON and markup files are refused with a message that says what the file looks like;
the encoding is judged on every byte (encoding.py).

A file whose head is UTF-8 is first parsed as strict UTF-8: the parser checks every byte anyway,
so a valid file (the usual case) costs no second reading. Only when it meets a byte that is not
UTF-8 are all the bytes weighed (`with_evidence`) and the file parsed again."""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from pathlib import Path

from engine.core.errors import BadInputError, reading
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
    name: str
    path: Path | None = None
    data: bytes | None = None
    weighed: bool = False  # chosen on every byte; else strict UTF-8, which the parser checks

    def parser_input(self) -> str | io.BytesIO:
        return str(self.path) if self.path is not None else io.BytesIO(self.data or b"")

    def read_all(self) -> bytes:
        if self.path is None:
            return self.data or b""
        with reading(self.path):
            return self.path.read_bytes()

    def with_evidence(self) -> DecodedSource:
        """The encoding chosen on every byte (once a strict UTF-8 parse met a byte that is not)."""
        if self.weighed:
            raise AssertionError(f"{self.name}: the encoding was already chosen on every byte")
        chosen = choose_encoding(self.read_all(), self.name, self.encoding.label)
        return replace(self, encoding=chosen, weighed=True)


def source_from_bytes(data: bytes, name: str, label: str = "utf-8") -> DecodedSource:
    """`label`: what the bytes were before they became UTF-8 (utf-16), for the report."""
    return decode_source(data[:HEAD_BYTES], name, whole=len(data) <= HEAD_BYTES, data=data, label=label)


def source_from_path(path: Path, name: str) -> DecodedSource:
    with reading(path):
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
    return decode_source(head, name, whole=size <= HEAD_BYTES, path=path)


def decode_source(
    head: bytes,
    name: str,
    *,
    whole: bool,
    path: Path | None = None,
    data: bytes | None = None,
    label: str = "utf-8",
) -> DecodedSource:
    """Refuses what is plainly not CSV text, judging by the file's head. A head that is not
    UTF-8 has the encoding chosen on every byte at once; otherwise the parser checks the rest."""
    if whole and (not head or head.isspace()):
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
    source = DecodedSource(head=head, encoding=Encoding("utf-8", label), name=name, path=path, data=data)
    return source if _utf8_head(head, whole) else source.with_evidence()


def _utf8_head(head: bytes, whole: bool) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A character cut where a partial head ends is no evidence either way.
        return not whole and exc.reason == "unexpected end of data"
    return True


def _control_ratio(head: bytes) -> float:
    if not head:
        return 0.0
    controls = sum(head.count(bytes([c])) for c in _BINARY_CONTROL)
    return controls / len(head)
