"""The alerts a change to the findings ledger raises: fixes a scan verified, SLAs breached since
the previous import, and objectives met. Shared by scan imports and launches."""

from __future__ import annotations

from datetime import datetime

from engine.alerts import Alert, AlertKind, AlertSender
from engine.ledger import ImportSummary, Ledger
from engine.policy import Policy, objective_progress, sla_summary
from engine.settings.environment import Settings


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
        # A first import meets nothing: an objective already met from the start is no news.
        was = objective_progress(objective, before, now).met if before.entries else True
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
