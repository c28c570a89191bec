"""Semgrep JSON: an object whose "results" hold "check_id"s, or the empty
{"results": [], "errors": []}."""

from __future__ import annotations

from engine.scanners.format import ScanFormat
from engine.scanners.semgrep import parse_semgrep


def _is_semgrep(doc: dict) -> bool:
    results = doc.get("results")
    if not isinstance(results, list):
        return False
    if results:
        return isinstance(results[0], dict) and "check_id" in results[0]
    return "errors" in doc


FORMAT = ScanFormat(
    name="semgrep",
    label="Semgrep JSON",
    parse=parse_semgrep,
    order=40,
    matches_object=_is_semgrep,
)
