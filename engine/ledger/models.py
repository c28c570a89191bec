"""The ledger's data model: what Patchwave remembers about each finding across scans and runs.

One `Ledger` per data source holds an entry per fingerprint: where the finding was seen, its
lifecycle state, every dispatch attempt, failed fixes, risk acceptance and an event history.
Every model round-trips through JSON unchanged (`model_dump_json` -> `model_validate_json`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field, computed_field

from engine.core.models import Finding, FindingCategory, Severity

LEDGER_VERSION = 1


class LifecycleState(StrEnum):
    new = "new"
    recurring = "recurring"  # seen again after it was fixed, reopened, or a fix did not hold
    dispatched = "dispatched"  # a session is working on it
    pr_open = "pr_open"
    pr_merged = "pr_merged"  # awaiting verification by the next scan
    pr_closed_unmerged = "pr_closed_unmerged"
    verified_fixed = "verified_fixed"  # a merged PR, then absent from a later scan
    fixed = "fixed"  # absent from a later scan without a merged PR of ours
    needs_human_review = "needs_human_review"  # too many failed attempts
    false_positive = "false_positive"
    risk_accepted = "risk_accepted"


AttemptOutcome = Literal["active", "success", "failed", "timeout", "interrupted", "refused"]
PullRequestState = Literal["open", "merged", "closed"]


class DispatchAttempt(BaseModel):
    run_id: str
    finding_id: str
    attempt: int
    started_at: datetime
    session_id: str | None = None
    ended_at: datetime | None = None
    outcome: AttemptOutcome = "active"
    pr_url: str | None = None
    acu: float | None = None


class RiskAcceptance(BaseModel):
    owner: str
    reason: str
    accepted_at: datetime
    expires_at: datetime
    accepted_by: str


class FailedFix(BaseModel):
    """A fix that did not hold: its merged PR, yet the finding showed up in a later scan."""

    pr_url: str | None
    run_id: str | None
    detected_at: datetime
    scan_id: str


class LedgerEvent(BaseModel):
    at: datetime
    state: LifecycleState
    previous: LifecycleState | None
    reason: str
    actor: str | None = None  # None: the engine itself


class LedgerEntry(BaseModel):
    fingerprint: str
    title: str
    category: FindingCategory
    severity: Severity
    service_name: str
    repo_url: str | None = None
    file_path: str | None = None
    line_number: int | None = None
    cwe_id: str | None = None
    dependency_name: str | None = None
    rule_id: str | None = None
    scanners: list[str]
    scope: str  # f"{repo_url or service_name}|{scanner}" lowercased, see scope_of
    first_seen: datetime
    last_seen: datetime
    appearances: int = 1
    last_scan_id: str
    state: LifecycleState = LifecycleState.new
    attempts: list[DispatchAttempt] = Field(default_factory=list)
    failures: int = 0  # failed fix attempts (failed/timeout outcomes), counts toward cooldown
    cooldown_until: datetime | None = None
    pr_url: str | None = None
    failed_fixes: list[FailedFix] = Field(default_factory=list)
    risk: RiskAcceptance | None = None
    note: str | None = None  # false-positive reason etc.
    history: list[LedgerEvent] = Field(default_factory=list)  # every state change, oldest first
    # The state a dispatch interrupted, so an interrupted or PR-less session can restore it.
    state_before_dispatch: LifecycleState | None = None


class ScanImport(BaseModel):
    scan_id: str
    imported_at: datetime
    source_name: str
    scopes: list[str]
    findings: int
    run_id: str | None = None


class Ledger(BaseModel):
    version: int = LEDGER_VERSION
    entries: dict[str, LedgerEntry] = Field(default_factory=dict)
    imports: list[ScanImport] = Field(default_factory=list)


class ImportSummary(BaseModel):
    """What one scan import did. Every fingerprint of the scan is in exactly one of new,
    recurring, regressed or unchanged; fixed and verified_fixed list the absent ones it closed."""

    scan_id: str
    source_name: str
    already_imported: bool = False
    new: list[str] = Field(default_factory=list)
    recurring: list[str] = Field(default_factory=list)  # came back after being fixed
    unchanged: list[str] = Field(default_factory=list)
    fixed: list[str] = Field(default_factory=list)
    verified_fixed: list[str] = Field(default_factory=list)  # merged PR confirmed by this scan
    regressed: list[str] = Field(default_factory=list)  # a merged-PR fix that did not hold

    @computed_field  # type: ignore[prop-decorator]
    @property
    def counts(self) -> dict[str, int]:
        return {
            "new": len(self.new),
            "recurring": len(self.recurring),
            "unchanged": len(self.unchanged),
            "fixed": len(self.fixed),
            "verified_fixed": len(self.verified_fixed),
            "regressed": len(self.regressed),
        }


class Claim(BaseModel):
    fingerprint: str
    finding_id: str
    attempt: int = Field(ge=1)


class GlobalBudget(BaseModel):
    """At most `limit` sessions started within any `period_hours`, over every run."""

    limit: int = Field(ge=0)
    period_hours: float = Field(gt=0)


class ClaimResult(BaseModel):
    granted: list[str] = Field(default_factory=list)
    refused: dict[str, str] = Field(default_factory=dict)  # fingerprint -> why


def scope_of(finding: Finding) -> str:
    """What a scan that reported this finding can speak for: one repository (or service) as
    seen by one scanner. A trailing slash of a repository URL does not make another scope."""
    where = (finding.repo_url or finding.service_name).strip().rstrip("/")
    scanner = (finding.scanner or "unknown").strip()
    return f"{where}|{scanner}".lower()


def active_attempt(entry: LedgerEntry) -> DispatchAttempt | None:
    """The attempt still running on this entry, if any (claims keep it to at most one)."""
    for attempt in reversed(entry.attempts):
        if attempt.outcome == "active":
            return attempt
    return None
