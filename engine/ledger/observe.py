"""Importing a scan into the ledger: what is new, what came back, what is gone.

A scan speaks only for its scopes (one repository or service as seen by one scanner, see
`scope_of`): a Trivy scan says nothing about CodeQL findings, and a scan of repository A says
nothing about repository B. So a finding is judged absent only when the scan covers its scope.
A scan without findings therefore closes nothing: its scope cannot be known.

Importing the same scan (same `scan_id`, the hash of its bytes) twice changes nothing.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from engine.core.errors import BadInputError
from engine.core.models import Finding
from engine.ledger.models import (
    FailedFix,
    ImportSummary,
    Ledger,
    LedgerEntry,
    LifecycleState,
    ScanImport,
    scope_of,
)
from engine.ledger.transitions import change_state, require_aware

S = LifecycleState
# Absent from a scan that covers them: these are fixed (a pr_merged one is verified fixed).
CLOSED_BY_ABSENCE = frozenset({S.new, S.recurring, S.pr_open, S.pr_closed_unmerged, S.needs_human_review})


def scan_id_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:20]


def import_scan(
    ledger: Ledger,
    scan_id: str,
    source_name: str,
    findings: list[Finding],
    now: datetime,
    run_id: str | None = None,
) -> ImportSummary:
    require_aware(now, "now")
    summary = ImportSummary(scan_id=scan_id, source_name=source_name)
    if any(done.scan_id == scan_id for done in ledger.imports):
        summary.already_imported = True
        return summary

    present: dict[str, Finding] = {}
    for finding in findings:
        if not finding.fingerprint:
            raise BadInputError(
                f"{source_name}: finding {finding.finding_id!r} has no fingerprint; "
                "the ledger needs one to follow a finding across scans"
            )
        # The first of two rows with one fingerprint wins: they are the same finding.
        present.setdefault(finding.fingerprint, finding)
    scopes = {scope_of(f) for f in present.values()}

    for fingerprint, finding in present.items():
        entry = ledger.entries.get(fingerprint)
        if entry is None:
            ledger.entries[fingerprint] = _new_entry(finding, scan_id, now, source_name)
            summary.new.append(fingerprint)
            continue
        _describe(entry, finding)
        entry.last_seen = now
        entry.appearances += 1
        entry.last_scan_id = scan_id
        _seen_again(entry, source_name, scan_id, now, summary)

    for fingerprint, entry in ledger.entries.items():
        if fingerprint in present or entry.scope not in scopes:
            continue
        if entry.state == S.pr_merged:
            change_state(entry, S.verified_fixed, now, f"absent from {source_name}: merged PR verified")
            summary.verified_fixed.append(fingerprint)
        elif entry.state in CLOSED_BY_ABSENCE:
            change_state(entry, S.fixed, now, f"absent from {source_name}")
            summary.fixed.append(fingerprint)
        elif entry.state == S.dispatched and entry.state_before_dispatch in CLOSED_BY_ABSENCE:
            # A session is working on it and will report; should it end without a PR, the
            # entry returns to what the scans say: fixed.
            entry.state_before_dispatch = S.fixed

    ledger.imports.append(
        ScanImport(
            scan_id=scan_id,
            imported_at=now,
            source_name=source_name,
            scopes=sorted(scopes),
            findings=len(present),
            run_id=run_id,
        )
    )
    return summary


def _seen_again(entry: LedgerEntry, source: str, scan_id: str, now: datetime, summary: ImportSummary) -> None:
    fingerprint = entry.fingerprint
    if entry.state == S.fixed:
        change_state(entry, S.recurring, now, f"seen again in {source} after it was fixed")
        summary.recurring.append(fingerprint)
    elif entry.state in (S.pr_merged, S.verified_fixed):
        entry.failed_fixes.append(
            FailedFix(pr_url=entry.pr_url, run_id=_run_of_pr(entry), detected_at=now, scan_id=scan_id)
        )
        what = "a merged fix" if entry.state == S.pr_merged else "a verified fix"
        change_state(entry, S.recurring, now, f"seen again in {source} after {what}: the fix did not hold")
        # The PR is kept in the FailedFix; the next session opens its own.
        entry.pr_url = None
        summary.regressed.append(fingerprint)
    else:
        # false_positive and risk_accepted are never reactivated by a scan; the others
        # (new, recurring, dispatched, pr_open, ...) are still what they were.
        if entry.state == S.dispatched and entry.state_before_dispatch == S.fixed:
            # If the session ends without a PR, the entry goes back to what scans now say.
            entry.state_before_dispatch = S.recurring
        summary.unchanged.append(fingerprint)


def _run_of_pr(entry: LedgerEntry) -> str | None:
    for attempt in reversed(entry.attempts):
        if attempt.outcome == "success" and attempt.pr_url and attempt.pr_url == entry.pr_url:
            return attempt.run_id
    return None


def _new_entry(finding: Finding, scan_id: str, now: datetime, source: str) -> LedgerEntry:
    entry = LedgerEntry(
        fingerprint=finding.fingerprint or "",
        title=finding.title,
        category=finding.category,
        severity=finding.severity,
        service_name=finding.service_name,
        scanners=[],
        scope=scope_of(finding),
        first_seen=now,
        last_seen=now,
        last_scan_id=scan_id,
    )
    _describe(entry, finding)
    change_state(entry, S.new, now, f"first seen in {source}")
    entry.history[-1].previous = None
    return entry


def _describe(entry: LedgerEntry, finding: Finding) -> None:
    """The descriptive fields follow the latest scan (lines move, titles get reworded)."""
    entry.title = finding.title
    entry.category = finding.category
    entry.severity = finding.severity
    entry.service_name = finding.service_name
    entry.repo_url = finding.repo_url
    entry.file_path = finding.file_path
    entry.line_number = finding.line_number
    entry.cwe_id = finding.cwe_id
    entry.dependency_name = finding.dependency_name
    entry.rule_id = finding.rule_id
    entry.scope = scope_of(finding)
    entry.scanners = sorted({*entry.scanners, finding.scanner or "unknown"})
