"""Preparing a run folder: plan the upload, keep it, record how the run was launched.

The launcher writes the upload (`input.<ext>`, its bytes as uploaded), findings.json (the
planned findings, typed), ingest_report.json and launch.json once; the engine builds
state.json from findings.json and launch.json alone, so state.json keeps a single writer from
the very first byte and the upload is never read again."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from engine.alerts import Alert
from engine.core.errors import BadInputError, reading
from engine.core.models import BatchRun, RunConfig, RunStatus, WaveStatus
from engine.core.planning import plan_waves
from engine.launch.findings_file import RunFindingsFile, planned_findings, write_findings_file
from engine.runs.index import IndexEntry, read_index, upsert_run
from engine.runs.launch_record import LaunchRecord, read_launch
from engine.runs.paths import RunPaths, new_run_id, upload_file_name
from engine.storage.atomic import atomic_write_bytes

if TYPE_CHECKING:  # the engine process imports this module for `initial_state` alone: it
    # never plans, so it never loads the file parser (pandas)
    from engine.ingest import IngestLimits
    from engine.launch.planner import PlanOptions, RunPlan


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
    options: PlanOptions,
    runs_dir: Path,
    run_id: str | None = None,
    notify: Callable[[list[Alert]], None] | None = None,
) -> tuple[RunPaths, RunPlan]:
    """Plans the upload (`options`, with the wave size, wave, data source and ACU cap taken from
    `config`) and creates the run folder; nothing is written if the input is bad or over a
    limit. A run that uses the ledger (`config.ledger`, `options.policy`) first records the
    upload as a scan in the ledger; when the plan skips everything, the scan stays recorded but
    no run is created."""
    if (config.ledger is not None) != options.use_ledger:
        raise ValueError("a run that uses the ledger needs its policy in the plan options, and only it")
    # A damaged run index would stop the launch half-way, after the ledger recorded the scan.
    read_index(Path(runs_dir))
    paths = RunPaths.of(runs_dir, run_id or new_run_id())
    if paths.root.exists():
        raise BadInputError(f"run {paths.run_id!r} already exists in {runs_dir}")
    options = replace(
        options,
        wave_size=config.wave_size,
        only_wave=config.only_wave,
        data_source=config.data_source,
        max_acu_per_session=config.max_acu_per_session,
        runs_dir=Path(runs_dir),
    )
    from engine.launch.planner import plan_run

    plan = plan_run(data, source_name, options, run_id=paths.run_id, notify=notify)
    Path(runs_dir).mkdir(parents=True, exist_ok=True)
    try:
        paths.root.mkdir()  # exclusive: a second launch of the same id fails here
    except FileExistsError as exc:
        raise BadInputError(f"run {paths.run_id!r} already exists in {runs_dir}") from exc
    record = LaunchRecord(
        run_id=paths.run_id,
        source_file_name=source_name,
        upload=upload_file_name(source_name, plan.report.format),
        config=config,
    )
    write_findings_file(
        paths.findings,
        RunFindingsFile(
            planned_at=plan.planned_at,
            findings=plan.findings,
            held_back=plan.held_back(),
            scan_id=plan.scan_id,
            import_summary=plan.ledger.summary if plan.ledger else None,
        ),
    )
    atomic_write_bytes(paths.upload(record.upload), data)  # type: ignore[arg-type]
    atomic_write_bytes(paths.ingest_report, plan.report.model_dump_json(indent=1).encode())
    atomic_write_bytes(paths.launch, record.model_dump_json(indent=1).encode())
    upsert_run(
        Path(runs_dir),
        IndexEntry(
            run_id=paths.run_id,
            created_at=record.created_at,
            status=RunStatus.pending,
            data_source=config.data_source,
            source_file=source_name,
            findings=len(plan.findings),
            open=len(plan.findings),
            held_back=dict(Counter(h.reason for h in plan.held_back())),
        ),
    )
    return paths, plan


def initial_state(paths: RunPaths) -> BatchRun:
    """The engine's first state, from what the launcher recorded (never the upload itself)."""
    record = read_launch(paths)
    planned = planned_findings(
        paths, record.source_file_name, record.created_at, earlier_version=record.upload is None
    )
    waves = plan_waves(planned.findings, record.config.wave_size)
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
        findings=planned.findings,
        held_back=planned.held_back,
        waves=waves,
    )
