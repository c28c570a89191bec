"""What each CLI command does, apart from parsing its flags."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import click

from engine.alerts import AlertSender
from engine.analytics.catalog import list_runs, listed_status, state_status
from engine.analytics.held_back import held_back_lines
from engine.analytics.outcomes import indexed_outcomes
from engine.analytics.pace import pace_notice
from engine.cli import reporting
from engine.core.errors import BadInputError, NothingToDispatchError
from engine.core.models import RunConfig
from engine.core.repos import connected_count
from engine.core.sources import SourceDefaults
from engine.devin.playbooks import playbook_name_for
from engine.devin.preflight import PreflightProblem, require_connection, target_of
from engine.execute.progress import LineProgress, progress_for_output
from engine.execute.start import execute_run
from engine.execute.tags import attempt_tag
from engine.launch.control import check_resume, launch_plan_options, resuming
from engine.launch.launchers import launcher_for
from engine.launch.ledger_plan import skip_reasons
from engine.launch.planner import PlanOptions, check_usable, plan_options, plan_run
from engine.launch.prepare import prepare_run, read_source
from engine.runs.detach import read_bootstrap
from engine.runs.fence import LeaseLostError
from engine.runs.paths import RunPaths
from engine.runs.reviews import latest_decisions, read_reviews
from engine.runs.state_store import load_state, load_state_if_present
from engine.runs.validate import validate_run
from engine.settings.environment import Settings

EXIT_LEASE_LOST = 3  # `execute`: a fleet engine whose lease another worker's job now holds


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def plan_command(
    file: Path,
    settings: Settings,
    as_json: bool,
    defaults: SourceDefaults | None = None,
    use_ledger: bool = True,
) -> None:
    options = plan_options(settings, use_ledger=use_ledger, source=defaults)
    plan = plan_run(read_source(file, options.limits), file.name, options)
    check_usable(plan.report)
    report = plan.report
    by_id = {f.finding_id: f for f in plan.findings}
    if as_json:
        _echo_json(
            {
                "wave_size": plan.wave_size,
                "accepted": report.accepted,
                "rejected_rows": report.rejected_rows,
                "duplicates_merged": report.duplicates_merged,
                "waves": [
                    {
                        "number": w.number,
                        "findings": [by_id[f].model_dump(mode="json") for f in w.finding_ids],
                    }
                    for w in plan.waves
                ],
                "skipped": [s.model_dump(mode="json") for s in plan.skipped],
            }
        )
        return
    click.echo(
        f"{len(plan.findings)} findings in {len(plan.waves)} waves of up to "
        f"{plan.wave_size} ({report.rejected_rows} {report.row_label}s rejected, "
        f"{report.duplicates_merged} duplicates merged, {len(plan.skipped)} skipped by the ledger)"
    )
    reporting.print_plan(plan.waves, by_id)
    reporting.print_skipped(plan.skipped)
    for line in held_back_lines([str(s.reason) for s in plan.skipped], options.data_source):
        click.echo(line)


def run_command(
    file: Path,
    settings: Settings,
    *,
    run_id: str | None,
    dry_run: bool,
    only_wave: int | None,
    detach: bool,
    defaults: SourceDefaults | None = None,
    use_ledger: bool = True,
) -> None:
    config, options = launch_plan_options(
        settings, use_ledger=use_ledger, only_wave=only_wave, dry_run=dry_run, source=defaults
    )
    data = read_source(file, options.limits)
    try:
        if dry_run:
            _dry_run(data, file.name, config, options)
            return
        if config.data_source == "live":  # before anything is written or recorded in the ledger
            _preflight(settings, config)
        paths, plan = prepare_run(data, file.name, config, options, settings.runs_dir, run_id)
    except NothingToDispatchError as nothing:
        # Nothing new is not an error: say why and what changes it, and exit 0.
        click.echo(f"{nothing}; no run was created.", err=True)
        for line in held_back_lines(nothing.reasons, config.data_source):
            click.echo(f"  {line}", err=True)
        return
    r = plan.report
    skipped = ""
    if plan.skipped:
        skipped = (
            f"; the findings ledger holds back {len(plan.skipped)} ({skip_reasons(plan.skipped)}), see `plan`"
        )
    mode = f"{config.data_source} mode"
    if config.hybrid:
        live = connected_count(plan.findings, config.connected_repos)
        mode = f"hybrid mode ({live} live in connected repositories, {len(plan.findings) - live} simulated)"
    click.echo(
        f"run {paths.run_id}: {r.accepted} findings ({r.rejected_rows} {r.row_label}s rejected, "
        f"{r.duplicates_merged} duplicates merged), {mode}{skipped}",
        err=True,
    )
    for line in held_back_lines([str(s.reason) for s in plan.skipped], config.data_source):
        click.echo(f"  {line}", err=True)
    if detach:
        _detach(paths, settings)
        return
    _continue_as_engine(paths, settings)


def _continue_as_engine(paths: RunPaths, settings: Settings) -> None:
    """Runs the prepared run in the foreground as an engine process of its own: this process
    becomes `python -m engine execute RUN --foreground` (same pid, terminal and signals), so the
    file parser (pandas) it loaded to plan the run does not stay in the run's memory."""
    sys.stdout.flush()
    sys.stderr.flush()
    verbose = ["-v"] if click.get_current_context(silent=True) and _verbose() else []
    runs_dir = str(Path(settings.runs_dir).resolve())
    command = [sys.executable, "-m", "engine", *verbose, "execute", paths.run_id, "--runs-dir", runs_dir]
    os.execv(sys.executable, [*command, "--foreground"])


def _verbose() -> bool:
    return bool(click.get_current_context().find_root().params.get("verbose"))


def _dry_run(data: bytes, name: str, config: RunConfig, options: PlanOptions) -> None:
    plan = plan_run(data, name, options)
    reporting.print_skipped(plan.skipped)
    plan.check(config.only_wave)
    by_id = {f.finding_id: f for f in plan.findings}
    rows = [
        (
            w.number,
            fid,
            by_id[fid].severity.value,
            playbook_name_for(by_id[fid].category),
            attempt_tag("<run>", fid, 1),
        )
        for w in plan.waves
        if config.only_wave in (None, w.number)
        for fid in w.finding_ids
    ]
    click.echo(reporting.table(["wave", "finding", "severity", "playbook", "session tag"], rows))
    click.echo(
        f"\ndry run: {len(rows)} sessions would be created in {config.data_source} mode; "
        "nothing was written or sent"
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
        run = execute_run(
            paths,
            settings.api_key,
            progress=progress_for_output(),
            alerts=alerts,
            metrics_port=settings.engine_metrics_port,
        )
    click.echo("")
    reporting.print_run(run, run.status.value)


def execute_command(run_id: str, settings: Settings, foreground: bool = False) -> None:
    """`foreground`: the rest of a `run` in the terminal (see `_continue_as_engine`)."""
    paths = RunPaths.existing(settings.runs_dir, run_id)
    if foreground:
        _foreground(paths, settings)
        return
    # Detached, this process's stderr already is engine.log, where the run's own log handler
    # writes too: keep one copy of each line.
    logging.getLogger().handlers.clear()
    try:
        with AlertSender.from_settings(settings) as alerts:
            run = execute_run(
                paths,
                settings.api_key,
                progress=LineProgress(),
                alerts=alerts,
                metrics_port=settings.engine_metrics_port,
            )
    except LeaseLostError as exc:
        click.echo(f"run {run_id}: {exc}; this engine stopped and wrote nothing more", err=True)
        raise SystemExit(EXIT_LEASE_LOST) from exc
    reporting.print_run(run, run.status.value)


def status_command(run_id: str | None, settings: Settings, as_json: bool) -> None:
    liveness = launcher_for(settings).liveness
    if run_id is None:
        listing = list_runs(settings.runs_dir)
        if listing.damage:
            click.echo(f"warning: {listing.damage} Listing the run folders instead.", err=True)
        entries = listing.entries
        # Only a pending or running entry can differ from the index (crashed, starting):
        # loading every run's whole state would make a long history slow to list.
        live = {e.run_id: listed_status(settings.runs_dir, e, liveness) for e in entries}
        if as_json:
            _echo_json([{**e.model_dump(mode="json"), "display_status": live[e.run_id]} for e in entries])
            return
        if not entries:
            click.echo(
                f"no runs in {settings.runs_dir}; start one with "
                "`python -m engine run sample_data/findings.csv`"
            )
            return
        rows = []
        for e in entries:
            # The same finding outcomes as History (outcomes.py): a pull request counts as a
            # fix only once approved or merged, so each run's review decisions are read.
            o = indexed_outcomes(e, read_reviews(RunPaths.of(settings.runs_dir, e.run_id)))
            rows.append(
                (
                    e.run_id,
                    live[e.run_id],
                    e.data_source,
                    e.source_file,
                    o.total,
                    o.fixed,
                    o.awaiting_review,
                    o.failed,
                    o.held_back,
                    o.open,
                    f"{e.created_at:%Y-%m-%d %H:%M}",
                )
            )
        headers = ["run", "status", "data", "source", "findings", "fixed", "PR awaiting review"]
        click.echo(reporting.table([*headers, "failed", "held back", "open", "created"], rows))
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
    shown = state_status(run, boot, live)
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
    reporting.print_run(run, shown, latest_decisions(read_reviews(paths)))
    if (notice := pace_notice(run, shown == "running")) is not None:  # 429s or a review backlog
        click.echo("\n" + notice.headline + "".join(f"\n  - {line}" for line in notice.reasons))
    if run.engine_worker:  # a run of the worker fleet: where it runs
        click.echo(f"Engine: worker {run.engine_worker} on host {run.engine_host}, pid {run.pid}")
    if shown == "crashed":
        click.echo(f"\nThe engine is gone. Continue with: python -m engine resume {run_id}")


def _preflight(settings: Settings, config: RunConfig) -> None:
    """Live mode: exit 2 listing every blocking problem; warnings are printed and the run goes on."""
    _warn(require_connection(target_of(settings, config.api_base_url)))


def _warn(warnings: list[PreflightProblem]) -> None:
    for warning in warnings:
        click.echo(f"warning: {warning.message}", err=True)


def resume_command(run_id: str, settings: Settings, detach: bool) -> None:
    paths = RunPaths.existing(settings.runs_dir, run_id)
    if detach:
        with resuming(paths):  # one engine when two resumes race (engine.launch.control)
            _warn(check_resume(settings, paths))  # the launcher's checks, then a live preflight
            _detach(paths, settings)
        return
    with resuming(paths):
        _warn(check_resume(settings, paths))
    _foreground(paths, settings)  # its engine lock refuses a second engine from here on


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


def pull_pages_command(settings: Settings, url: str | None) -> None:
    from engine.simulator.pull_server import PullPageServer

    address = url or settings.sim_pull_pages_url
    try:
        server = PullPageServer(settings.runs_dir, address)
    except ValueError as exc:
        raise BadInputError(str(exc)) from exc
    except OSError as exc:
        raise BadInputError(f"cannot serve pull request pages at {address}: {exc.strerror or exc}") from exc
    click.echo(f"Simulated pull request pages from {settings.runs_dir} at {server.url}", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def demo_command(
    settings: Settings, *, run_id: str | None, pause_at_gate: bool, speed: float, detach: bool
) -> None:
    """The demo as the app's button starts it (engine.launch.control.demo_settings), in the foreground
    unless `detach`."""
    from engine.launch.control import DEMO_LAUNCH, SAMPLE_FILE, demo_settings

    demo = demo_settings(settings, pause_at_gate=pause_at_gate, speed=speed)
    config, options = launch_plan_options(
        demo, use_ledger=DEMO_LAUNCH.use_ledger, live=False, acu_caps=DEMO_LAUNCH.acu_caps
    )
    paths, plan = prepare_run(
        SAMPLE_FILE.read_bytes(), SAMPLE_FILE.name, config, options, demo.runs_dir, run_id
    )
    gate = "; it pauses at the wave gate after wave 2 (`resume` continues)" if pause_at_gate else ""
    click.echo(f"demo run {paths.run_id}: {plan.report.accepted} sample findings, simulated{gate}", err=True)
    if detach:
        _detach(paths, settings)
        return
    _continue_as_engine(paths, settings)
