"""Preparing a run folder: check the input, copy it, record how the run was launched.

The launcher writes input.csv, ingest_report.json, launch.json and (for a run planned against
the findings ledger) plan.json once; the engine builds state.json from them, so state.json
keeps a single writer from the very first byte."""

from __future__ import annotations

from pathlib import Path

from engine.errors import BadInputError, reading
from engine.ingest import IngestLimits, IngestResult, ingest_bytes, ingest_file
from engine.ledger import scan_id_of
from engine.models import BatchRun, RunConfig, RunStatus, WaveStatus, utcnow
from engine.planning import plan_waves
from engine.prioritize import ServiceWeights
from engine.runs.atomic import atomic_write_bytes
from engine.runs.index import IndexEntry, read_index, upsert_run
from engine.runs.launch_record import LaunchRecord, read_launch
from engine.runs.ledger_plan import (
    LedgerSetup,
    RunPlanFile,
    SkippedId,
    apply_plan_file,
    plan_against_ledger,
    plan_file,
    read_plan_file,
    skip_reasons,
    write_plan_file,
)
from engine.runs.paths import RunPaths, new_run_id
from engine.sources import SourceDefaults


def read_source(path: Path, limits: IngestLimits | None = None) -> bytes:
    """The file's bytes; with `limits`, an oversized file is refused before it is read."""
    with reading(path):
        if limits is not None:
            limits.check_size(path.stat().st_size, path.name)
        return path.read_bytes()


def prepare_run(
    data: bytes,
    source_name: str,
    config: RunConfig,
    services: ServiceWeights,
    services_table: dict[str, int],
    runs_dir: Path,
    run_id: str | None = None,
    limits: IngestLimits | None = None,
    defaults: SourceDefaults | None = None,
    ledger: LedgerSetup | None = None,
) -> tuple[RunPaths, IngestResult]:
    """Checks the input (within `limits`, when given) and creates the run folder; nothing is
    written if the input is bad or over a limit.

    A run that uses the ledger (`config.ledger`, with `ledger` giving the policy) first records
    the upload as a scan in the ledger and plans against it; when the plan skips everything,
    the scan stays recorded but no run is created."""
    result = ingest_bytes(data, source_name, services, limits=limits, defaults=defaults)
    check_plannable(result, config)
    # A damaged run index would stop the launch half-way, after the ledger recorded the scan.
    read_index(Path(runs_dir))
    paths = RunPaths.of(runs_dir, run_id or new_run_id())
    if paths.root.exists():
        raise BadInputError(f"run {paths.run_id!r} already exists in {runs_dir}")
    plan: RunPlanFile | None = None
    if config.ledger is not None:
        if ledger is None:
            raise ValueError("a run that uses the ledger needs its policy (LedgerSetup)")
        now = ledger.now or utcnow()
        scan_id = scan_id_of(data)
        planned = plan_against_ledger(
            result,
            scan_id=scan_id,
            data_source=config.data_source,
            runs_dir=Path(runs_dir),
            policy=ledger.policy,
            services=ledger.services,
            max_acu_per_session=config.max_acu_per_session,
            now=now,
            run_id=paths.run_id,
            commit=True,
        )
        plan = plan_file(planned, scan_id, now)
        if ledger.notify is not None:
            ledger.notify(planned.alerts)
        check_plannable(result, config, len(plan.selected), skipped=plan.skipped)
    Path(runs_dir).mkdir(parents=True, exist_ok=True)
    try:
        paths.root.mkdir()  # exclusive: a second launch of the same id fails here
    except FileExistsError as exc:
        raise BadInputError(f"run {paths.run_id!r} already exists in {runs_dir}") from exc
    if plan is not None:
        write_plan_file(paths.plan, plan)
    record = LaunchRecord(
        run_id=paths.run_id,
        source_file_name=source_name,
        config=config,
        service_weights=services_table,
        default_service_weight=services.default,
    )
    atomic_write_bytes(paths.input, run_input(data, result))
    atomic_write_bytes(paths.ingest_report, result.report.model_dump_json(indent=1).encode())
    atomic_write_bytes(paths.launch, record.model_dump_json(indent=1).encode())
    upsert_run(
        Path(runs_dir),
        IndexEntry(
            run_id=paths.run_id,
            created_at=record.created_at,
            status=RunStatus.pending,
            data_source=config.data_source,
            source_file=source_name,
            findings=len(plan.selected) if plan else result.report.accepted,
            open=len(plan.selected) if plan else result.report.accepted,
        ),
    )
    return paths, result


def run_input(data: bytes, result: IngestResult) -> bytes:
    """What the engine reads back: a CSV as uploaded; a scanner file as the findings table it
    became (suppressed results left out, fingerprints kept), so the engine never needs the
    upload form's defaults again."""
    if result.report.format == "csv":
        return data
    return result.table.to_csv(index=False).encode()


def check_plannable(
    result: IngestResult,
    config: RunConfig,
    planned: int | None = None,
    skipped: list[SkippedId] | None = None,
) -> None:
    """`planned`: how many findings the ledger plan selected (default: every accepted one)."""
    report = result.report
    if report.accepted == 0:
        raise BadInputError(
            f"{report.source_name}: no usable findings "
            f"({report.rejected_rows} {report.row_label}s rejected; run `ingest` to see why)"
        )
    if planned == 0:
        raise BadInputError(
            f"{report.source_name}: nothing to dispatch: all {report.accepted:,} findings are skipped "
            f"({skip_reasons(skipped or [])}); the scan is recorded in the findings ledger"
        )
    count = report.accepted if planned is None else planned
    waves = -(-count // config.wave_size)
    if config.only_wave is not None and not 1 <= config.only_wave <= waves:
        raise BadInputError(
            f"--wave {config.only_wave} is out of range: the plan has {waves} "
            f"wave(s) of up to {config.wave_size}"
        )


def initial_state(paths: RunPaths) -> BatchRun:
    """The engine's first state, rebuilt from what the launcher recorded."""
    record = read_launch(paths)
    services = ServiceWeights(record.service_weights, record.default_service_weight)
    result = ingest_file(paths.input, services, source_name=record.source_file_name)
    findings, held_back = result.findings, []
    if (plan := read_plan_file(paths.plan)) is not None:
        findings, held_back = apply_plan_file(findings, plan)
    waves = plan_waves(findings, record.config.wave_size)
    if record.config.only_wave is not None:
        for wave in waves:
            if wave.number != record.config.only_wave:
                wave.status = WaveStatus.skipped
    return BatchRun(
        run_id=record.run_id,
        data_source=record.config.data_source,
        config=record.config,
        source_file_name=record.source_file_name,
        created_at=record.created_at,
        findings=findings,
        held_back=held_back,
        waves=waves,
    )
