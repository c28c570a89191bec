"""Preparing a run folder: check the input, copy it, record how the run was launched.

The launcher writes input.csv, ingest_report.json and launch.json once; the engine builds
state.json from them, so state.json keeps a single writer from the very first byte."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, Field

from engine.errors import BadInputError, reading
from engine.ingest import IngestLimits, IngestResult, ingest_bytes, ingest_file
from engine.models import BatchRun, RunConfig, RunStatus, WaveStatus, utcnow
from engine.planning import plan_waves
from engine.prioritize import ServiceWeights
from engine.runs.atomic import atomic_write_bytes
from engine.runs.index import IndexEntry, upsert_run
from engine.runs.paths import RunPaths, new_run_id


class LaunchRecord(BaseModel):
    run_id: str
    created_at: datetime = Field(default_factory=utcnow)
    source_file_name: str
    config: RunConfig
    service_weights: dict[str, int]
    default_service_weight: int


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
) -> tuple[RunPaths, IngestResult]:
    """Checks the input (within `limits`, when given) and creates the run folder; nothing is
    written if the input is bad or over a limit."""
    result = ingest_bytes(data, source_name, services, limits=limits)
    check_plannable(result, config)
    paths = RunPaths.of(runs_dir, run_id or new_run_id())
    Path(runs_dir).mkdir(parents=True, exist_ok=True)
    try:
        paths.root.mkdir()  # exclusive: a second launch of the same id fails here
    except FileExistsError as exc:
        raise BadInputError(f"run {paths.run_id!r} already exists in {runs_dir}") from exc
    record = LaunchRecord(
        run_id=paths.run_id,
        source_file_name=source_name,
        config=config,
        service_weights=services_table,
        default_service_weight=services.default,
    )
    atomic_write_bytes(paths.input, data)
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
            findings=result.report.accepted,
            open=result.report.accepted,
        ),
    )
    return paths, result


def check_plannable(result: IngestResult, config: RunConfig) -> None:
    if result.report.accepted == 0:
        raise BadInputError(
            f"{result.report.source_name}: no usable findings "
            f"({result.report.rejected_rows} rows rejected; run `ingest` to see why)"
        )
    waves = -(-result.report.accepted // config.wave_size)
    if config.only_wave is not None and not 1 <= config.only_wave <= waves:
        raise BadInputError(
            f"--wave {config.only_wave} is out of range: the plan has {waves} "
            f"wave(s) of up to {config.wave_size}"
        )


def initial_state(paths: RunPaths) -> BatchRun:
    """The engine's first state, rebuilt from what the launcher recorded."""
    record = LaunchRecord.model_validate_json(paths.launch.read_bytes())
    services = ServiceWeights(record.service_weights, record.default_service_weight)
    result = ingest_file(paths.input, services, source_name=record.source_file_name)
    waves = plan_waves(result.findings, record.config.wave_size)
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
        findings=result.findings,
        waves=waves,
    )
