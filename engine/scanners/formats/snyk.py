"""Snyk JSON: an object with "vulnerabilities" and "packageManager" or "projectName", or a list
of them (snyk test --all-projects)."""

from __future__ import annotations

from engine.scanners.format import ScanFormat
from engine.scanners.snyk import parse_snyk


def _is_project(value: dict) -> bool:
    return "vulnerabilities" in value and ("packageManager" in value or "projectName" in value)


FORMAT = ScanFormat(
    name="snyk",
    label="Snyk JSON",
    parse=parse_snyk,
    order=30,
    matches_object=_is_project,
    matches_list_item=_is_project,
)
