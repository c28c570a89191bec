"""What a scanner format declares: its name, how a document of it is told apart, and its parser.

Each format is one module in engine/scanners/formats/ that defines `FORMAT = ScanFormat(...)`;
engine/scanners/registry.py finds them. A format is told by the document's shape alone, never by
the file's name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from engine.scanners.budget import ScanBudget
from engine.scanners.records import ScanParse

Parser = Callable[[object, str, ScanBudget], ScanParse]


def _never(_: dict) -> bool:
    return False


@dataclass(frozen=True)
class ScanFormat:
    name: str  # as the ingest report and the run's files name it, e.g. "sarif"
    label: str  # as error messages list the formats read, e.g. "Semgrep JSON"
    parse: Parser
    # Formats are tried lowest first; the first whose test matches reads the document. Shapes
    # overlap (a Trivy report has "Results", so might a new format), so the order is declared.
    order: int
    matches_object: Callable[[dict], bool] = _never  # a document that is one JSON object
    matches_list_item: Callable[[dict], bool] = _never  # a JSON list, told by its first item's keys
    reads_null: bool = False  # a bare `null` document is this format's empty report
