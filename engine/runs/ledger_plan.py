"""Planning a run against the findings ledger: the upload is recorded as a scan, then the
cross-run plan decides what to dispatch (in cross-run priority order) and what to skip, each
skip with its reason.

The launcher writes the outcome to the run folder's plan.json once; the engine reads it back
to build its first state, so it never needs the ledger or the policy files to start."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, Field

from engine.alerts import Alert
from engine.ingest import IngestResult
from engine.ledger import ImportSummary, expire_risks, import_scan, read_ledger, scan_id_of, update_ledger
from engine.ledger_alerts import ledger_alerts
from engine.models import Finding, HeldBackFinding, LedgerScore, RunLedgerConfig, utcnow
from engine.policy import CrossRunPlan, Policy, ServiceCatalog, plan_across_runs
from engine.runs.atomic import atomic_write_bytes
from engine.runs.damage import parse_run_file


@dataclass(frozen=True)
class LedgerSetup:
    """The cross-run policy a launch plans with; `now` stands in for the clock in tests."""

    policy: Policy
    services: ServiceCatalog
    now: datetime | None = None
    # Receives the alerts a launch's scan import raises (fixes verified, SLAs breached…).
    notify: Callable[[list[Alert]], None] | None = None


class PlannedId(BaseModel):
    finding_id: str
    score: LedgerScore


class SkippedId(BaseModel):
    finding_id: str
    reason: str
    detail: str


class RunPlanFile(BaseModel):
    """plan.json: written once by the launcher of a run that uses the ledger."""

    planned_at: datetime
    scan_id: str
    selected: list[PlannedId]
    skipped: list[SkippedId] = Field(default_factory=list)
    import_summary: ImportSummary


class LedgerPlan(BaseModel):
    plan: CrossRunPlan
    summary: ImportSummary
    alerts: list[Alert] = Field(default_factory=list)


def ledger_config(policy: Policy) -> RunLedgerConfig:
    return RunLedgerConfig(
        global_session_limit=policy.global_session_limit,
        global_period_hours=policy.global_period_hours,
        cooldown_hours=list(policy.cooldown_hours),
        max_failures=policy.max_attempts,
    )


def plan_against_ledger(
    result: IngestResult,
    *,
    scan_id: str,
    data_source: str,
    runs_dir: Path,
    policy: Policy,
    services: ServiceCatalog,
    max_acu_per_session: float,
    now: datetime,
    run_id: str | None = None,
    commit: bool,
) -> LedgerPlan:
    """`commit=False` previews: the same import and plan on a copy, nothing written."""
    findings = result.findings
    name = result.report.source_name

    def plan(ledger) -> LedgerPlan:  # type: ignore[no-untyped-def]
        before = ledger.model_copy(deep=True) if commit else None
        expire_risks(ledger, now)
        summary = import_scan(ledger, scan_id, name, findings, now, run_id=run_id)
        cross = plan_across_runs(findings, ledger, services, policy, now, max_acu_per_session)
        alerts = ledger_alerts(before, ledger, summary, policy, now) if before is not None else []
        return LedgerPlan(plan=cross, summary=summary, alerts=alerts)

    if commit:
        return update_ledger(runs_dir, data_source, plan)
    return plan(read_ledger(runs_dir, data_source).model_copy(deep=True))


def preview_plan(
    result: IngestResult,
    data: bytes,
    *,
    data_source: str,
    runs_dir: Path,
    setup: LedgerSetup,
    max_acu_per_session: float,
) -> LedgerPlan:
    """What a launch would plan against the ledger now, without recording anything. Ranks
    and scores are set on the selected findings as the run will set them."""
    planned = plan_against_ledger(
        result,
        scan_id=scan_id_of(data),
        data_source=data_source,
        runs_dir=runs_dir,
        policy=setup.policy,
        services=setup.services,
        max_acu_per_session=max_acu_per_session,
        now=setup.now or utcnow(),
        commit=False,
    )
    for rank, p in enumerate(planned.plan.selected, start=1):
        p.finding = p.finding.model_copy(update={"ledger_score": p.score, "priority_rank": rank})
    return planned


def skipped_ids(planned: LedgerPlan) -> list[SkippedId]:
    return [
        SkippedId(finding_id=s.finding_id, reason=s.reason.value, detail=s.detail)
        for s in planned.plan.skipped
    ]


def plan_file(planned: LedgerPlan, scan_id: str, now: datetime) -> RunPlanFile:
    return RunPlanFile(
        planned_at=now,
        scan_id=scan_id,
        selected=[PlannedId(finding_id=p.finding.finding_id, score=p.score) for p in planned.plan.selected],
        skipped=[
            SkippedId(finding_id=s.finding_id, reason=s.reason.value, detail=s.detail)
            for s in planned.plan.skipped
        ],
        import_summary=planned.summary,
    )


def write_plan_file(path: Path, plan: RunPlanFile) -> None:
    atomic_write_bytes(path, plan.model_dump_json(indent=1).encode())


def read_plan_file(path: Path) -> RunPlanFile | None:
    """A run's plan.json; None for a run launched without the ledger."""
    try:
        return parse_run_file(path, RunPlanFile, "run plan")
    except FileNotFoundError:
        return None


def skip_reasons(skipped: list[SkippedId]) -> str:
    """'21 global limit, 3 cooldown': how many findings are skipped for each reason, most first."""
    reasons = Counter(s.reason.replace("_", " ") for s in skipped)
    return ", ".join(f"{n} {reason}" for reason, n in reasons.most_common())


def apply_plan_file(
    findings: list[Finding], plan: RunPlanFile
) -> tuple[list[Finding], list[HeldBackFinding]]:
    """The findings to run, in the plan's order with their cross-run scores, and the skipped
    ones with their reasons."""
    by_id = {f.finding_id: f for f in findings}
    selected = []
    for rank, planned in enumerate(plan.selected, start=1):
        finding = by_id[planned.finding_id].model_copy(
            update={"ledger_score": planned.score, "priority_rank": rank}
        )
        selected.append(finding)
    held = [
        HeldBackFinding(finding=by_id[s.finding_id], reason=s.reason, detail=s.detail, at=plan.planned_at)
        for s in plan.skipped
        if s.finding_id in by_id
    ]
    return selected, held
