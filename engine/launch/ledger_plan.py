"""Planning a run against the findings ledger: the upload is recorded as a scan, then the
cross-run plan decides what to dispatch (in priority order) and what to skip, each skip with
its reason. engine/launch/planner.py calls this for every plan that uses the ledger; the
launcher writes the outcome into the run folder's findings.json once, so the engine never
needs the ledger or the policy files to start."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel, Field

from engine.alerts import Alert
from engine.core.models import RunLedgerConfig
from engine.ledger import ImportSummary, expire_risks, import_scan, read_ledger, update_ledger
from engine.ledger.alerts import ledger_alerts
from engine.memory.hooks import learn_from_scan
from engine.policy import CrossRunPlan, Policy, ServiceCatalog, plan_across_runs

if TYPE_CHECKING:
    from engine.ingest import IngestResult


class LedgerPlan(BaseModel):
    plan: CrossRunPlan
    summary: ImportSummary
    alerts: list[Alert] = Field(default_factory=list)


def ledger_config(policy: Policy, data_source: str) -> RunLedgerConfig:
    """The limits a run of `data_source` claims its sessions with (simulated runs have their own)."""
    policy = policy.for_data_source(data_source)
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
    max_acu_per_session: float | None,
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
        budgeted = policy.for_data_source(data_source)  # a simulated run never uses the live budget
        cross = plan_across_runs(findings, ledger, services, budgeted, now, max_acu_per_session)
        alerts = ledger_alerts(before, ledger, summary, policy, now) if before is not None else []
        return LedgerPlan(plan=cross, summary=summary, alerts=alerts)

    if commit:
        planned = update_ledger(runs_dir, data_source, plan)
        learn_from_scan(runs_dir, data_source, planned.summary)  # verified and regressed fixes teach
        return planned
    return plan(read_ledger(runs_dir, data_source).model_copy(deep=True))


class _Skip(Protocol):
    @property
    def reason(self) -> str: ...


def skip_reasons(skipped: Sequence[_Skip]) -> str:
    """'21 global limit, 3 cooldown': how many findings are skipped for each reason, most first."""
    reasons = Counter(str(s.reason).replace("_", " ") for s in skipped)
    return ", ".join(f"{n} {reason}" for reason, n in reasons.most_common())
