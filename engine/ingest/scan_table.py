"""A parsed scanner file -> the same string table a findings CSV becomes, so scanner imports
go through exactly the checks, merging and prioritizing CSV files do.

Suppressed results (SARIF suppressions, dismissed or fixed GitHub alerts) never reach the
table: they are not work. They are counted and listed in the ingest report instead."""

from __future__ import annotations

import re

import pandas as pd

from engine.core.errors import BadInputError
from engine.core.sources import SourceDefaults
from engine.ingest.columns import COLUMNS
from engine.ingest.report import SuppressedFinding
from engine.ingest.table import ARROW_STR
from engine.scanners import ScanParse
from engine.scanners.records import ScanRecord

DESCRIPTION_LIMIT = 4000
SUPPRESSED_LISTED = 500  # the report lists this many suppressed results; it counts them all
_SLUG = re.compile(r"[^a-z0-9]+")
_REPO_NAME = re.compile(r"([^/:]+?)(?:\.git)?/*$")


def finding_id_for(record: ScanRecord) -> str:
    """Stable across scans: derived from the fingerprint, prefixed by the tool for readability."""
    tool = _SLUG.sub("-", record.scanner.lower()).strip("-")[:16] or "scan"
    return f"{tool}-{record.fingerprint[:12]}"


def service_from_repo(repo_url: str | None) -> str | None:
    """'https://github.com/acme/payment-service.git' -> 'payment-service'."""
    if not repo_url:
        return None
    match = _REPO_NAME.search(repo_url.strip())
    return match.group(1) if match else None


def scan_table(parse: ScanParse, name: str, defaults: SourceDefaults) -> tuple[pd.DataFrame, list[str]]:
    """The unsuppressed records as a findings table indexed by result number (1 = the file's
    first result), and each result number's place in the file (for the report)."""
    records = [r for r in parse.records if not r.suppressed]
    rows: dict[str, list[str]] = {column: [] for column in COLUMNS}
    refs: list[str] = []
    unnamed = 0
    for record in records:
        service = (
            record.service_name
            or defaults.service_name
            or service_from_repo(record.repo_url or defaults.repo_url)
        )
        if not service:
            unnamed += 1
        values = {
            "finding_id": finding_id_for(record),
            "scanner": record.scanner,
            "category": record.category.value,
            "severity": record.severity.value,
            "title": record.title,
            "description": (record.description or "")[:DESCRIPTION_LIMIT],
            "service_name": service or "",
            "repo_url": record.repo_url or defaults.repo_url or "",
            "file_path": record.file_path or "",
            "line_number": str(record.line_number) if record.line_number else "",
            "cwe_id": record.cwe_id or "",
            "dependency_name": record.dependency_name or "",
            "current_version": record.current_version or "",
            "fixed_version": record.fixed_version or "",
            "language": record.language or "",
            "fingerprint": record.fingerprint,
            "rule_id": record.rule_id or "",
        }
        for column in COLUMNS:
            rows[column].append(values[column])
        refs.append(record.source_ref)
    if unnamed:
        raise BadInputError(
            f"{name}: {unnamed:,} of {len(records):,} findings do not say which service they belong "
            f"to ({parse.format_label} names no service or repository); give one with "
            "--service NAME (command line) or the Service field (app)"
        )
    index = pd.RangeIndex(1, len(records) + 1)
    table = pd.DataFrame({c: pd.Series(v, index=index, dtype=ARROW_STR) for c, v in rows.items()})
    return table, refs


def suppressed_findings(parse: ScanParse) -> tuple[int, list[SuppressedFinding]]:
    suppressed = [r for r in parse.records if r.suppressed]
    listed = [
        SuppressedFinding(
            ref=r.source_ref,
            title=r.title,
            rule_id=r.rule_id,
            severity=r.severity,
            file_path=r.file_path,
            line_number=r.line_number,
            reason=r.suppression or "suppressed",
            fingerprint=r.fingerprint,
        )
        for r in suppressed[:SUPPRESSED_LISTED]
    ]
    return len(suppressed), listed
