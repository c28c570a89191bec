"""The one way a findings file becomes a plan: checked findings, the ledger's skips with their
reasons, and the waves, in the one priority order.

The Launch page's preview, `plan`, `run --dry-run` and the launch itself all call `plan_run`
with the same options, so they cannot disagree. A launch (`run_id` given) also records the
upload as a scan in the findings ledger; everything else only looks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from engine.alerts import Alert
from engine.core.errors import BadInputError, NothingToDispatchError
from engine.core.models import DataSource, Finding, HeldBackFinding, Wave, utcnow
from engine.core.planning import plan_waves
from engine.core.sources import SourceDefaults
from engine.ingest import IngestLimits, IngestReport
from engine.launch.ledger_plan import LedgerPlan, plan_against_ledger, skip_reasons
from engine.ledger import scan_id_of
from engine.policy import (
    PlannedFinding,
    Policy,
    ServiceCatalog,
    SkippedFinding,
    load_policy,
    rank_by_priority,
)
from engine.policy.weights_migration import services_catalog
from engine.settings.environment import Settings

if TYPE_CHECKING:
    from engine.ingest import IngestResult


@dataclass(frozen=True)
class PlanOptions:
    """Everything a plan depends on besides the file. `policy=None`: plan without the findings
    ledger (every accepted finding runs, scored against an empty history)."""

    wave_size: int
    services: ServiceCatalog = field(default_factory=ServiceCatalog)
    policy: Policy | None = None
    data_source: DataSource = "simulated"
    runs_dir: Path = Path("runs")
    max_acu_per_session: float | None = None
    only_wave: int | None = None
    limits: IngestLimits | None = None
    source: SourceDefaults = field(default_factory=SourceDefaults)
    now: datetime | None = None  # stands in for the clock in tests

    @property
    def use_ledger(self) -> bool:
        return self.policy is not None


def plan_options(
    settings: Settings,
    *,
    use_ledger: bool,
    data_source: DataSource | None = None,
    only_wave: int | None = None,
    source: SourceDefaults | None = None,
    now: datetime | None = None,
) -> PlanOptions:
    """The options the settings in effect give: wave size, ACU cap and file limits from the
    settings, services (and with the ledger the policy) from their files. `data_source=None`:
    live exactly when an API key is set, as a launch decides."""
    return PlanOptions(
        wave_size=settings.wave_size,
        services=services_catalog(settings),
        policy=load_policy(settings.policy_file) if use_ledger else None,
        data_source=data_source or ("live" if settings.api_key is not None else "simulated"),
        runs_dir=Path(settings.runs_dir),
        max_acu_per_session=settings.max_acu_per_session,
        only_wave=only_wave,
        limits=IngestLimits.from_settings(settings),
        source=source or SourceDefaults(),
        now=now,
    )


@dataclass
class RunPlan:
    """A file's plan: `findings` are the ones to dispatch, in priority order, each with its
    score (`priority`) and rank; `skipped` the ones the ledger keeps out, with the reason."""

    result: IngestResult
    findings: list[Finding]
    skipped: list[SkippedFinding]
    waves: list[Wave]
    wave_size: int
    planned_at: datetime
    ledger: LedgerPlan | None = None  # with the ledger: the import summary, budget, alerts
    scan_id: str | None = None

    @property
    def report(self) -> IngestReport:
        return self.result.report

    def held_back(self) -> list[HeldBackFinding]:
        """The skipped findings as the run records them."""
        by_id = {f.finding_id: f for f in self.result.findings}
        return [
            HeldBackFinding(
                finding=by_id[s.finding_id], reason=s.reason.value, detail=s.detail, at=self.planned_at
            )
            for s in self.skipped
            if s.finding_id in by_id
        ]

    def check(self, only_wave: int | None) -> None:
        """BadInputError unless the plan has something to dispatch (and wave `only_wave`)."""
        check_dispatchable(
            self.report, len(self.findings), self.skipped, only_wave, self.wave_size, recorded=False
        )


def check_usable(report: IngestReport) -> None:
    """BadInputError when the file has no usable finding at all."""
    if report.accepted == 0:
        raise BadInputError(
            f"{report.source_name}: no usable findings "
            f"({report.rejected_rows} {report.row_label}s rejected; run `ingest` to see why)"
        )


def check_dispatchable(
    report: IngestReport,
    planned: int,
    skipped: list[SkippedFinding],
    only_wave: int | None,
    wave_size: int,
    *,
    recorded: bool,
) -> None:
    """`recorded`: the upload is recorded in the findings ledger (a launch)."""
    check_usable(report)
    if planned == 0:
        raise NothingToDispatchError(
            f"{report.source_name}: nothing to dispatch: all {report.accepted:,} findings are skipped "
            f"({skip_reasons(skipped)})"
            + ("; the scan is recorded in the findings ledger" if recorded else ""),
            [str(s.reason) for s in skipped],
        )
    waves = -(-planned // wave_size)
    if only_wave is not None and not 1 <= only_wave <= waves:
        raise BadInputError(
            f"--wave {only_wave} is out of range: the plan has {waves} wave(s) of up to {wave_size}"
        )


def plan_run(
    data: bytes,
    name: str,
    options: PlanOptions,
    *,
    run_id: str | None = None,
    notify: Callable[[list[Alert]], None] | None = None,
) -> RunPlan:
    """Checks the file (within `options.limits`) and plans it. With `run_id` this is the
    launch of that run: it refuses a plan with nothing to dispatch (or without wave
    `options.only_wave`), records the upload in the findings ledger as the run's scan (before
    refusing a plan the ledger skips entirely: the scan stays recorded) and hands the alerts
    the import raised to `notify`. Without it nothing is recorded."""
    from engine.ingest import ingest_bytes  # the parser loads only where a file is planned

    result = ingest_bytes(data, name, limits=options.limits, defaults=options.source)
    now = options.now or utcnow()
    launch = run_id is not None
    if launch:  # what is wrong with the file itself, before anything is recorded
        check_dispatchable(
            result.report, result.report.accepted, [], options.only_wave, options.wave_size, recorded=False
        )
    ranked: list[PlannedFinding] = []
    skipped: list[SkippedFinding] = []
    ledger: LedgerPlan | None = None
    scan_id: str | None = None
    if result.report.accepted and options.policy is None:
        ranked = rank_by_priority(result.findings, options.services, now)
    elif result.report.accepted and options.policy is not None:
        scan_id = scan_id_of(data)
        ledger = plan_against_ledger(
            result,
            scan_id=scan_id,
            data_source=options.data_source,
            runs_dir=options.runs_dir,
            policy=options.policy,
            services=options.services,
            max_acu_per_session=options.max_acu_per_session,
            now=now,
            run_id=run_id,
            commit=launch,
        )
        ranked, skipped = ledger.plan.selected, ledger.plan.skipped
        if launch and notify is not None:
            notify(ledger.alerts)
    findings = [
        p.finding.model_copy(update={"priority": p.score, "priority_rank": rank})
        for rank, p in enumerate(ranked, start=1)
    ]
    plan = RunPlan(
        result=result,
        findings=findings,
        skipped=skipped,
        waves=plan_waves(findings, options.wave_size) if findings else [],
        wave_size=options.wave_size,
        planned_at=now,
        ledger=ledger,
        scan_id=scan_id,
    )
    if launch:
        check_dispatchable(
            plan.report, len(findings), skipped, options.only_wave, options.wave_size, recorded=True
        )
    return plan
