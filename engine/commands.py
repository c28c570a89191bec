"""What each CLI command does, apart from parsing its flags."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import click

from engine import reporting
from engine.alerts import AlertSender
from engine.catalog import needs_liveness_check, shown_status
from engine.control import build_config, ledger_setup, services_of
from engine.errors import BadInputError
from engine.execute.progress import LineProgress, progress_for_output
from engine.execute.start import execute_run
from engine.execute.tags import attempt_tag
from engine.ingest import IngestLimits, IngestResult, ingest_bytes, ingest_file
from engine.launchers import launcher_for
from engine.models import RunConfig
from engine.planning import plan_waves
from engine.playbooks import playbook_name_for
from engine.runs.detach import read_bootstrap
from engine.runs.fence import LeaseLostError
from engine.runs.index import read_index
from engine.runs.launch import check_plannable, prepare_run, read_source
from engine.runs.ledger_plan import (
    LedgerPlan,
    LedgerSetup,
    ledger_config,
    preview_plan,
    read_plan_file,
    skip_reasons,
    skipped_ids,
)
from engine.runs.liveness import display_status
from engine.runs.paths import RunPaths
from engine.runs.state_store import load_state, load_state_if_present
from engine.settings import Settings
from engine.sources import SourceDefaults
from engine.validate import validate_run

EXIT_LEASE_LOST = 3  # `execute`: a fleet engine whose lease another worker's job now holds


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def ingest_command(
    file: Path, settings: Settings, as_json: bool, defaults: SourceDefaults | None = None
) -> None:
    result = ingest_file(
        file, services_of(settings), limits=IngestLimits.from_settings(settings), defaults=defaults
    )
    report = result.report
    if as_json:
        _echo_json(
            {
                "format": report.format,
                "format_label": report.format_label,
                "tools": report.tools,
                "suppressed": report.suppressed,
                "suppressed_findings": [s.model_dump(mode="json") for s in report.suppressed_findings],
                "not_findings": report.not_findings,
                "accepted": report.accepted,
                "rejected": [p.model_dump() for p in report.rejected],
                "rejected_rows": report.rejected_rows,
                "warnings": [p.model_dump() for p in report.warnings],
                "duplicates_merged": report.duplicates_merged,
                "merged_groups": [g.model_dump() for g in report.merged_groups],
                "total_rows": report.total_rows,
                "ignored_columns": report.ignored_columns,
                "findings": [f.model_dump(mode="json") for f in result.findings],
            }
        )
    else:
        reporting.print_ingest(report)
    if report.accepted == 0:
        raise BadInputError(f"{file.name}: no usable findings")


def plan_command(
    file: Path,
    settings: Settings,
    as_json: bool,
    defaults: SourceDefaults | None = None,
    use_ledger: bool = True,
) -> None:
    limits = IngestLimits.from_settings(settings)
    data = read_source(file, limits)
    result = ingest_bytes(data, file.name, services_of(settings), limits=limits, defaults=defaults)
    config = build_config(settings, seed=0, speed=1, only_wave=None)
    check_plannable(result, config)
    findings, skipped = result.findings, []
    if use_ledger:
        planned = preview_ledger_plan(result, data, config, settings, ledger_setup(settings))
        findings, skipped = [p.finding for p in planned.plan.selected], planned.plan.skipped
    waves = plan_waves(findings, settings.wave_size)
    by_id = {f.finding_id: f for f in findings}
    if as_json:
        _echo_json(
            {
                "wave_size": settings.wave_size,
                "accepted": result.report.accepted,
                "rejected_rows": result.report.rejected_rows,
                "duplicates_merged": result.report.duplicates_merged,
                "waves": [
                    {
                        "number": w.number,
                        "findings": [by_id[f].model_dump(mode="json") for f in w.finding_ids],
                    }
                    for w in waves
                ],
                "skipped": [s.model_dump(mode="json") for s in skipped],
            }
        )
        return
    click.echo(
        f"{len(findings)} findings in {len(waves)} waves of up to "
        f"{settings.wave_size} ({result.report.rejected_rows} {result.report.row_label}s rejected, "
        f"{result.report.duplicates_merged} duplicates merged, {len(skipped)} skipped by the ledger)"
    )
    reporting.print_plan(waves, by_id)
    reporting.print_skipped(skipped)


def run_command(
    file: Path,
    settings: Settings,
    *,
    run_id: str | None,
    dry_run: bool,
    only_wave: int | None,
    seed: int,
    speed: float,
    detach: bool,
    defaults: SourceDefaults | None = None,
    use_ledger: bool = True,
) -> None:
    setup = ledger_setup(settings) if use_ledger else None
    config = build_config(
        settings,
        seed=seed,
        speed=speed,
        only_wave=only_wave,
        dry_run=dry_run,
        ledger=ledger_config(setup.policy) if setup else None,
    )
    limits = IngestLimits.from_settings(settings)
    data = read_source(file, limits)
    if dry_run:
        _dry_run(data, file.name, settings, config, defaults, setup)
        return
    paths, result = prepare_run(
        data,
        file.name,
        config,
        services_of(settings),
        settings.service_weights,
        settings.runs_dir,
        run_id,
        limits,
        defaults,
        setup,
    )
    r = result.report
    skipped = ""
    plan = read_plan_file(paths.plan)
    if plan is not None and plan.skipped:
        skipped = (
            f"; the findings ledger skips {len(plan.skipped)} ({skip_reasons(plan.skipped)}), see `plan`"
        )
    click.echo(
        f"run {paths.run_id}: {r.accepted} findings ({r.rejected_rows} {r.row_label}s rejected, "
        f"{r.duplicates_merged} duplicates merged), {config.data_source} mode{skipped}",
        err=True,
    )
    if detach:
        _detach(paths, settings)
        return
    _foreground(paths, settings)


def _dry_run(
    data: bytes,
    name: str,
    settings: Settings,
    config: RunConfig,
    defaults: SourceDefaults | None,
    setup: LedgerSetup | None,
) -> None:
    result = ingest_bytes(
        data, name, services_of(settings), limits=IngestLimits.from_settings(settings), defaults=defaults
    )
    check_plannable(result, config)
    findings = result.findings
    if setup is not None:
        planned = preview_ledger_plan(result, data, config, settings, setup)
        findings = [p.finding for p in planned.plan.selected]
        reporting.print_skipped(planned.plan.skipped)
        check_plannable(result, config, len(findings), skipped=skipped_ids(planned))
    waves = plan_waves(findings, config.wave_size)
    by_id = {f.finding_id: f for f in findings}
    rows = [
        (
            w.number,
            fid,
            by_id[fid].severity.value,
            playbook_name_for(by_id[fid].category),
            attempt_tag("<run>", fid, 1),
        )
        for w in waves
        if config.only_wave in (None, w.number)
        for fid in w.finding_ids
    ]
    click.echo(reporting.table(["wave", "finding", "severity", "playbook", "session tag"], rows))
    click.echo(
        f"\ndry run: {len(rows)} sessions would be created in {config.data_source} mode; "
        "nothing was written or sent"
    )


def preview_ledger_plan(
    result: IngestResult, data: bytes, config: RunConfig, settings: Settings, setup: LedgerSetup
) -> LedgerPlan:
    return preview_plan(
        result,
        data,
        data_source=config.data_source,
        runs_dir=settings.runs_dir,
        setup=setup,
        max_acu_per_session=config.max_acu_per_session,
    )


def _detach(paths: RunPaths, settings: Settings) -> None:
    boot = launcher_for(settings).start(paths)
    if boot.status == "failed_to_spawn":
        raise RuntimeError(f"the engine for run {paths.run_id} did not start: {boot.error}")
    if boot.status == "queued":
        click.echo(f"run {paths.run_id} queued for the worker fleet (job {boot.job_id})", err=True)
    click.echo(paths.run_id)


def _foreground(paths: RunPaths, settings: Settings) -> None:
    with AlertSender.from_settings(settings) as alerts:
        run = execute_run(paths, settings.api_key, progress=progress_for_output(), alerts=alerts)
    click.echo("")
    reporting.print_run(run, run.status.value)


def execute_command(run_id: str, settings: Settings) -> None:
    paths = RunPaths.existing(settings.runs_dir, run_id)
    # Detached, this process's stderr already is engine.log, where the run's own log handler
    # writes too: keep one copy of each line.
    logging.getLogger().handlers.clear()
    try:
        with AlertSender.from_settings(settings) as alerts:
            run = execute_run(paths, settings.api_key, progress=LineProgress(), alerts=alerts)
    except LeaseLostError as exc:
        click.echo(f"run {run_id}: {exc}; this engine stopped and wrote nothing more", err=True)
        raise SystemExit(EXIT_LEASE_LOST) from exc
    reporting.print_run(run, run.status.value)


def status_command(run_id: str | None, settings: Settings, as_json: bool) -> None:
    liveness = launcher_for(settings).liveness
    if run_id is None:
        entries = read_index(settings.runs_dir).runs
        live = {}
        for e in entries:
            # Only a pending or running entry can differ from the index (crashed, starting):
            # loading every run's whole state would make a long history slow to list.
            live[e.run_id] = e.status.value
            if needs_liveness_check(e):
                paths = RunPaths.of(settings.runs_dir, e.run_id)
                live[e.run_id] = shown_status(
                    e, load_state_if_present(paths.state), read_bootstrap(paths), liveness
                )
        if as_json:
            _echo_json([{**e.model_dump(mode="json"), "display_status": live[e.run_id]} for e in entries])
            return
        if not entries:
            click.echo(
                f"no runs in {settings.runs_dir}; start one with "
                "`python -m engine run sample_data/findings.csv`"
            )
            return
        click.echo(
            reporting.table(
                [
                    "run",
                    "status",
                    "data",
                    "source",
                    "findings",
                    "fixed",
                    "failed",
                    "open",
                    "PRs",
                    "created",
                ],
                [
                    (
                        e.run_id,
                        live[e.run_id],
                        e.data_source,
                        e.source_file,
                        e.findings,
                        e.succeeded,
                        e.failed,
                        e.open,
                        e.pull_requests,
                        f"{e.created_at:%Y-%m-%d %H:%M}",
                    )
                    for e in entries
                ],
            )
        )
        return
    paths = RunPaths.existing(settings.runs_dir, run_id)
    run = load_state_if_present(paths.state)
    boot = read_bootstrap(paths)
    if run is None:
        shown = boot.status if boot else "pending"
        if as_json:
            _echo_json(
                {
                    "run_id": run_id,
                    "display_status": shown,
                    "bootstrap": boot.model_dump(mode="json") if boot else None,
                }
            )
        else:
            click.echo(f"Run {run_id}: {shown}" + (f" ({boot.error})" if boot and boot.error else ""))
        return
    live = liveness(run, None)  # one answer for both fields, the same `resume` and `stop` get
    entry = next((e for e in read_index(settings.runs_dir).runs if e.run_id == run_id), None)
    shown = shown_status(entry, run, boot, lambda *_: live) if entry else display_status(run, live)
    if as_json:
        data = run.model_dump(mode="json", exclude={"findings", "sessions"})
        data.update(
            display_status=shown,
            engine_alive=live.alive,
            engine_liveness=live.basis,
            bootstrap=boot.model_dump(mode="json") if boot else None,
        )
        _echo_json(data)
        return
    reporting.print_run(run, shown)
    if run.engine_worker:  # a run of the worker fleet: where it runs
        click.echo(f"Engine: worker {run.engine_worker} on host {run.engine_host}, pid {run.pid}")
    if shown == "crashed":
        click.echo(f"\nThe engine is gone. Continue with: python -m engine resume {run_id}")


def resume_command(run_id: str, settings: Settings, detach: bool) -> None:
    paths = RunPaths.existing(settings.runs_dir, run_id)
    launcher_for(settings).check_resumable(paths)
    if detach:
        _detach(paths, settings)
    else:
        _foreground(paths, settings)


def stop_command(run_id: str, settings: Settings) -> None:
    click.echo(launcher_for(settings).stop(run_id).message)


def validate_command(run_id: str, settings: Settings) -> None:
    paths = RunPaths.existing(settings.runs_dir, run_id)
    problems = validate_run(paths)
    if problems:
        for problem in problems:
            click.echo(f"- {problem}", err=True)
        raise SystemExit(1)
    run = load_state(paths.state)
    click.echo(
        f"run {run_id} is valid: {run.totals.findings} findings, "
        f"{run.totals.sessions} sessions, status {run.status.value}"
    )
