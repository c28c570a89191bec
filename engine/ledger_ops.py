"""What people do to the findings ledger, for the command line and the app alike: import a
scan, triage a finding, record or fetch pull request states. Each checks the caller's role,
changes the ledger under its lock, writes the audit trail, and raises the alerts it causes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal, TypeVar

from pydantic import BaseModel, Field

from engine.access import Action, Identity, require
from engine.alerts import Alert, AlertKind, AlertSender
from engine.audit import record_audit
from engine.control import ledger_setup, services_of
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
from engine.models import DataSource, utcnow
from engine.policy import Policy, objective_progress, sla_summary
from engine.settings import Settings
from engine.sources import SourceDefaults

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
    result = ingest_bytes(
        data, name, services_of(settings), limits=IngestLimits.from_settings(settings), defaults=defaults
    )
    policy = ledger_setup(settings).policy
    scan_id = scan_id_of(data)

    def change(ledger: Ledger) -> tuple[ImportSummary, list[str], list[Alert]]:
        before = ledger.model_copy(deep=True)
        expired = expire_risks(ledger, now)
        summary = import_scan(ledger, scan_id, name, result.findings, now)
        return summary, expired, ledger_alerts(before, ledger, summary, policy, now)

    summary, expired, alerts = update_ledger(settings.runs_dir, data_source, change)
    record_audit(
        settings.runs_dir,
        identity,
        Action.import_scan,
        f"ledger:{data_source}",
        {"source": name, "scan_id": scan_id, **summary.counts, "already_imported": summary.already_imported},
    )
    send_alerts(settings, alerts)
    return ScanImportResult(report=result.report, summary=summary, expired_risks=expired, alerts=alerts)


def ledger_alerts(
    before: Ledger, after: Ledger, summary: ImportSummary, policy: Policy, now: datetime
) -> list[Alert]:
    """Fixes this import verified, SLAs breached since the previous import, and objectives it
    met. Comparing with the previous import's time keeps each breach to one alert."""
    alerts = []
    if summary.verified_fixed:
        titles = [after.entries[fp].title for fp in summary.verified_fixed[:5]]
        alerts.append(
            Alert(
                kind=AlertKind.fix_verified,
                title=f"{len(summary.verified_fixed)} fix(es) verified by {summary.source_name}",
                text="Absent from the new scan after their pull requests merged:\n" + "\n".join(titles),
                details={"fingerprints": summary.verified_fixed},
            )
        )
    previous = max((i.imported_at for i in before.imports), default=None)
    breached_now = set(sla_summary(after, policy, now).breached_fingerprints)
    breached_before = set(sla_summary(before, policy, previous).breached_fingerprints) if previous else set()
    newly = sorted(breached_now - breached_before)
    if newly:
        alerts.append(
            Alert(
                kind=AlertKind.sla_breached,
                title=f"{len(newly)} finding(s) breached their SLA",
                text="\n".join(
                    f"{after.entries[fp].severity.value}: {after.entries[fp].title}" for fp in newly[:5]
                ),
                details={"fingerprints": newly},
            )
        )
    for objective in policy.objectives:
        if not objective.active:
            continue
        was = objective_progress(objective, before, now).met if before.entries else False
        progress = objective_progress(objective, after, now)
        if progress.met and not was:
            alerts.append(
                Alert(
                    kind=AlertKind.objective_met,
                    title=f"Objective met: {objective.title}",
                    text=f"{progress.current} open against a target of {progress.target}.",
                    details={"objective_id": objective.id},
                )
            )
    return alerts


def send_alerts(settings: Settings, alerts: list[Alert]) -> None:
    if not alerts:
        return
    with AlertSender.from_settings(settings) as sender:
        for alert in alerts:
            sender.send(alert)


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
    tracker = GitPullRequests(base_url or settings.git_api_base_url, token)
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
