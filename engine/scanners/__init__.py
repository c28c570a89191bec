"""Scanner output files (SARIF, Semgrep, Trivy, Snyk, GitHub exports) -> flat scan records.

`parse_scan` decodes the bytes once (UTF-8, a byte-order mark allowed), refuses a document that
would expand far beyond the file's size before building it (survey.py), parses the JSON once,
tells the format by the document's shape and hands the document to that format's parser (each
format is one module in formats/, found by registry.py), which counts findings and entries
against the limits as it reads them (budget.py). Anything unusable is a BadInputError naming
the file and what is wrong with it.
"""

from __future__ import annotations

import json
import sys

from engine.core.errors import BadInputError
from engine.core.utf8 import is_utf8
from engine.scanners.budget import ScanBudget, unlimited
from engine.scanners.detect import describe
from engine.scanners.records import ScanParse, ScanRecord
from engine.scanners.registry import format_named, shape_of, supported_formats
from engine.scanners.survey import survey

__all__ = [
    "ScanBudget",
    "ScanParse",
    "ScanRecord",
    "detect_format",
    "parse_scan",
    "supported_formats",
    "unlimited",
]

_UTF8_BOM = b"\xef\xbb\xbf"


def _check_utf8(data: bytes, name: str) -> None:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise BadInputError(
            f"{name}: the file is UTF-16 text; scanner files are read as UTF-8, save it as UTF-8"
        )
    if is_utf8(data):
        return
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if b"\x00" in data[:4096]:
            raise BadInputError(f"{name}: this is a binary file, not a scanner's JSON output") from exc
        raise BadInputError(
            f"{name}: not UTF-8 text (invalid byte 0x{data[exc.start]:02x} at offset {exc.start:,}); "
            "scanner JSON files are UTF-8"
        ) from exc


def _load(data: bytes, name: str, budget: ScanBudget) -> object:
    if data.startswith(_UTF8_BOM):
        data = data[3:]
    _check_utf8(data, name)
    if b"\x00" in data[:4096]:
        raise BadInputError(f"{name}: this is a binary file, not a scanner's JSON output")
    survey(data, name, budget)  # before the text is built: a refused file costs no copy of it
    text = data.decode("utf-8")
    if not text.strip():
        raise BadInputError(f"{name}: the file is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInputError(
            f"{name}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
            f"{_looks_like(text)}; "
            f"the scanner formats read are {supported_formats()}"
        ) from exc
    except RecursionError as exc:
        raise BadInputError(f"{name}: the JSON is nested too deeply to read") from exc
    except ValueError as exc:  # Python's limit on the digits of an integer
        raise BadInputError(
            f"{name}: a number in the JSON has more than {sys.get_int_max_str_digits():,} digits, too long "
            "to read"
        ) from exc


def _looks_like(text: str) -> str:
    """A hint at what a file that is not JSON is instead."""
    head = text.lstrip()[:2048]
    if head.startswith("<"):
        return ": it looks like XML or HTML"
    first = head.split("\n", 1)[0]
    if head[:1] in "{[":
        return ": it starts like JSON but is cut short or malformed"
    if first.count(",") >= 2 or first.count(";") >= 2 or "\t" in first:
        return ": it looks like CSV or another delimited table"
    return ": it looks like plain text"


def detect_format(data: bytes) -> str | None:
    """The scanner format of a file's bytes, judged by content only; None when the bytes are not
    JSON or not a JSON shape we read."""
    try:
        doc = _load(data, "input", unlimited())
    except BadInputError:
        return None
    return shape_of(doc)


def parse_scan(data: bytes, name: str, budget: ScanBudget | None = None) -> ScanParse:
    """Every result of a scanner file as a ScanRecord (suppressed ones flagged), or a
    BadInputError naming the file and saying what it is instead. With a `budget`, a file over
    a limit is refused while it is read."""
    budget = budget or unlimited(name)
    doc = _load(data, name, budget)
    shape = shape_of(doc)
    if doc == []:
        raise BadInputError(
            f"{name}: the file is an empty JSON list: it holds no findings and does not say which scanner "
            "wrote it (an export with no alerts or projects)"
        )
    if shape is None:
        raise BadInputError(
            f"{name}: {describe(doc)}, which is not a scanner format this tool reads; "
            f"the formats read are {supported_formats()}"
        )
    try:
        return format_named(shape).parse(doc, name, budget)
    except RecursionError as exc:  # a document nested just shallowly enough for json to read
        raise BadInputError(f"{name}: the JSON is nested too deeply to read") from exc
