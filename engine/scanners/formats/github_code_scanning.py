"""GitHub code-scanning alerts (REST export): a list of alerts with "rule" and
"most_recent_instance"."""

from __future__ import annotations

from engine.scanners.format import ScanFormat
from engine.scanners.github import parse_code_scanning


def _is_alert(first: dict) -> bool:
    return "rule" in first and "most_recent_instance" in first


FORMAT = ScanFormat(
    name="github_code_scanning",
    label="GitHub code-scanning alerts (REST export)",
    parse=parse_code_scanning,
    order=60,
    matches_list_item=_is_alert,
)
