"""SARIF 2.1.0 (CodeQL, Semgrep, Snyk Code, Trivy, ...): an object with "runs" and "version" or
"$schema" (the schema URL is not checked: real logs use half a dozen spellings of it)."""

from __future__ import annotations

from engine.scanners.format import ScanFormat
from engine.scanners.sarif import parse_sarif


def _is_sarif(doc: dict) -> bool:
    return "runs" in doc and ("version" in doc or "$schema" in doc)


FORMAT = ScanFormat(
    name="sarif",
    label="SARIF 2.1.0 (CodeQL, Semgrep, Snyk Code, Trivy, ...)",
    parse=parse_sarif,
    order=10,
    matches_object=_is_sarif,
)
