"""What people do to the findings ledger, for the command line and the app alike: import a
scan, triage a finding, record or fetch pull request states. Each checks the caller's role,
changes the ledger under its lock, writes the audit trail, and raises the alerts it causes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal, TypeVar

from pydantic import BaseModel, Field

from engine.access.audit import record_audit
from engine.access.roles import Action, Identity, require
from engine.alerts import Alert
from engine.core.models import DataSource, utcnow
from engine.core.sources import SourceDefaults
from engine.ingest import IngestLimits, IngestReport, ingest_bytes
from engine.ledger import (
    GitPullRequests,
    ImportSummary,
    Ledger,
    accept_risk,
    apply_pull_request_states,
    expire_risks,
    import_scan,
    mark_false_positive,
    poll_pull_requests,
    read_ledger,
    reopen,
    scan_id_of,
    set_pull_request_state,
    update_ledger,
)
from engine.ledger.alerts import ledger_alerts, send_alerts
from engine.memory.hooks import learn_from_scan
from engine.policy import load_policy
from engine.settings.environment import Settings

T = TypeVar("T")


def default_data_source(settings: Settings) -> DataSource:
    """The ledger people mean by default: the live one once an API key is set."""
    return "live" if settings.api_key is not None else "simulated"


class ScanImportResult(BaseModel):
    report: IngestReport
    summary: ImportSummary
    expired_risks: list[str] = Field(default_factory=list)
    alerts: list[Alert] = Field(default_factory=list)


def import_scan_bytes(
    settings: Settings,
    identity: Identity,
    data: bytes,
    name: str,
    *,
    data_source: DataSource,
    defaults: SourceDefaults | None = None,
    now: datetime | None = None,
) -> ScanImportResult:
    """Records a scan in the ledger without running anything. Importing the same bytes
    again changes nothing."""
    require(identity, Action.import_scan)
    now = now or utcnow()
    result = ingest_bytes(data, name, limits=IngestLimits.from_settings(settings), defaults=defaults)
    policy = load_policy(settings.policy_file)
    scan_id = scan_id_of(data)

    def change(ledger: Ledger) -> tuple[ImportSummary, list[str], list[Alert]]:
        before = ledger.model_copy(deep=True)
        expired = expire_risks(ledger, now)
        summary = import_scan(ledger, scan_id, name, result.findings, now)
        return summary, expired, ledger_alerts(before, ledger, summary, policy, now)

    summary, expired, alerts = update_ledger(settings.runs_dir, data_source, change)
    learn_from_scan(settings.runs_dir, data_source, summary)  # verified and regressed fixes teach
    record_audit(
        settings.runs_dir,
        identity,
        Action.import_scan,
        f"ledger:{data_source}",
        {"source": name, "scan_id": scan_id, **summary.counts, "already_imported": summary.already_imported},
    )
    send_alerts(settings, alerts)
    return ScanImportResult(report=result.report, summary=summary, expired_risks=expired, alerts=alerts)


def _triage(
    settings: Settings,
    identity: Identity,
    data_source: DataSource,
    fingerprint: str,
    what: str,
    change: Callable[[Ledger], T],
    details: dict[str, object],
) -> T:
    require(identity, Action.triage)
    result = update_ledger(settings.runs_dir, data_source, change)
    record_audit(
        settings.runs_dir,
        identity,
        Action.triage,
        f"ledger:{data_source}:{fingerprint}",
        {"decision": what, **details},
    )
    return result


def mark_false_positive_as(
    settings: Settings, identity: Identity, data_source: DataSource, fingerprint: str, reason: str
) -> None:
    now = utcnow()
    _triage(
        settings,
        identity,
        data_source,
        fingerprint,
        "false_positive",
        lambda ledger: mark_false_positive(ledger, fingerprint, identity.email, reason, now),
        {"reason": reason},
    )


def accept_risk_as(
    settings: Settings,
    identity: Identity,
    data_source: DataSource,
    fingerprint: str,
    *,
    owner: str,
    reason: str,
    expires_at: datetime,
) -> None:
    now = utcnow()
    _triage(
        settings,
        identity,
        data_source,
        fingerprint,
        "risk_accepted",
        lambda ledger: accept_risk(ledger, fingerprint, owner, reason, expires_at, identity.email, now),
        {"owner": owner, "reason": reason, "expires_at": expires_at.isoformat()},
    )


def reopen_as(
    settings: Settings, identity: Identity, data_source: DataSource, fingerprint: str, reason: str
) -> None:
    now = utcnow()
    _triage(
        settings,
        identity,
        data_source,
        fingerprint,
        "reopen",
        lambda ledger: reopen(ledger, fingerprint, identity.email, reason, now),
        {"reason": reason},
    )


def set_pull_request_as(
    settings: Settings,
    identity: Identity,
    data_source: DataSource,
    fingerprint: str,
    state: Literal["open", "merged", "closed"],
) -> bool:
    """For teams whose Git host Patchwave cannot read: a reviewer records what became of a PR."""
    now = utcnow()
    return _triage(
        settings,
        identity,
        data_source,
        fingerprint,
        f"pull_request_{state}",
        lambda ledger: set_pull_request_state(ledger, fingerprint, state, now, identity.email),
        {"state": state},
    )


def sync_pull_requests_from_git(
    settings: Settings, identity: Identity, data_source: DataSource, base_url: str | None = None
) -> dict[str, str]:
    """Asks the Git host about every open pull request (outside the ledger's lock: network
    calls never hold it), then applies the answers under the lock."""
    require(identity, Action.import_scan)
    token = settings.github_token.get_secret_value() if settings.github_token else None
    with GitPullRequests(base_url or settings.git_api_base_url, token) as tracker:
        states = poll_pull_requests(read_ledger(settings.runs_dir, data_source), tracker)
    now = utcnow()
    applied = update_ledger(
        settings.runs_dir,
        data_source,
        lambda ledger: apply_pull_request_states(ledger, states, now, identity.email),
    )
    changed = {fp: s for fp, s in applied.items() if s in ("merged", "closed")}
    if changed:
        record_audit(
            settings.runs_dir,
            identity,
            Action.import_scan,
            f"ledger:{data_source}",
            {"pull_requests_synced": len(applied), "changed": changed},
        )
    return applied
