"""`python -m engine ...`: the command line. Exit codes: 0 success, 2 bad input, 1 internal error."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

import click

from engine.cli.ledger import ledger
from engine.cli.memory import memory
from engine.cli.options import (
    run_setting_option,
    run_setting_options,
    runs_dir_option,
    settings_for,
    source_options,
)
from engine.core.errors import BadInputError, WriteFailedError
from engine.core.sources import SourceDefaults
from engine.settings import run_settings

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_BAD_INPUT)
    except BadInputError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except WriteFailedError as exc:  # a full disk, say: one line naming the file and the cause
        if os.environ.get("PATCHWAVE_DEBUG"):
            raise
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INTERNAL)
    except Exception as exc:
        if os.environ.get("PATCHWAVE_DEBUG"):
            raise
        click.echo(
            f"internal error: {exc.__class__.__name__}: {exc} (set PATCHWAVE_DEBUG=1 for the traceback)",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log more (to stderr).")
def cli(verbose: bool) -> None:
    """Patchwave: findings in, prioritized waves of agent sessions out."""
    level = logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The terminal shows warnings (or everything with -v); each run's engine.log gets INFO.
    for handler in logging.getLogger().handlers:
        handler.setLevel(level)


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@source_options
@runs_dir_option
def ingest(
    file: Path, as_json: bool, service_name: str | None, repo_url: str | None, runs_dir: Path | None
) -> None:
    """Check a findings file (CSV or a scanner's JSON/SARIF): accepted, rejected, merged."""
    import gc

    # A one-shot command that builds a few million short-lived objects and no cycles worth
    # collecting: the cyclic collector would only walk them again and again.
    gc.disable()
    from engine.ingest.command import ingest_command

    ingest_command(file, settings_for(runs_dir), as_json, SourceDefaults(service_name, repo_url))


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@run_setting_option("wave_size")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--ledger/--no-ledger",
    "use_ledger",
    default=True,
    show_default=True,
    help="Show what the findings ledger would skip, and why.",
)
@source_options
@runs_dir_option
def plan(
    file: Path,
    use_ledger: bool,
    wave_size: int | None,
    as_json: bool,
    service_name: str | None,
    repo_url: str | None,
    runs_dir: Path | None,
) -> None:
    """Print the wave plan for a findings file without running anything."""
    from engine.cli.commands import plan_command

    plan_command(
        file,
        settings_for(runs_dir, wave_size=wave_size),
        as_json,
        SourceDefaults(service_name, repo_url),
        use_ledger,
    )


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--run-id", help="Name the run (letters, digits, '.', '_', '-').")
@click.option("--dry-run", is_flag=True, help="Show what would be dispatched; write nothing.")
@click.option("--wave", "only_wave", type=click.IntRange(min=1), help="Run only wave N.")
@click.option("--detach", is_flag=True, help="Run in the background; print the run id.")
@run_setting_options
@click.option(
    "--ledger/--no-ledger",
    "use_ledger",
    default=True,
    show_default=True,
    help="Plan against the findings ledger: skip work in progress, fixed, triaged or cooling down; "
    "keep the global session budget.",
)
@source_options
@runs_dir_option
def run(
    file: Path,
    use_ledger: bool,
    service_name: str | None,
    repo_url: str | None,
    run_id: str | None,
    dry_run: bool,
    only_wave: int | None,
    detach: bool,
    runs_dir: Path | None,
    **overrides: Any,
) -> None:
    """Run a findings file: waves of agent sessions, simulated unless DEVIN_API_KEY is set."""
    from engine.cli.commands import run_command

    run_command(
        file,
        settings_for(runs_dir, **overrides),
        run_id=run_id,
        dry_run=dry_run,
        only_wave=only_wave,
        detach=detach,
        defaults=SourceDefaults(service_name, repo_url),
        use_ledger=use_ledger,
    )


@cli.command()
@click.option("--run-id", help="Name the run (letters, digits, '.', '_', '-').")
@click.option(
    "--pause-at-gate",
    is_flag=True,
    help="Raise the wave gate to 90 %: the run pauses after wave 2 until `resume`.",
)
@run_setting_option("speed", default=run_settings.app_default("speed"))
@click.option("--detach", is_flag=True, help="Run in the background; print the run id.")
@runs_dir_option
def demo(run_id: str | None, pause_at_gate: bool, speed: float, detach: bool, runs_dir: Path | None) -> None:
    """Run the demo: the bundled sample findings against the simulated API, seed 7, with its
    failures, retries and (optionally) a paused wave, the same every time."""
    from engine.cli.commands import demo_command

    demo_command(
        settings_for(runs_dir), run_id=run_id, pause_at_gate=pause_at_gate, speed=speed, detach=detach
    )


@cli.command(hidden=True)
@click.argument("run_id")
@click.option("--foreground", is_flag=True, help="Show progress in the terminal (the rest of `run`).")
@runs_dir_option
def execute(run_id: str, foreground: bool, runs_dir: Path | None) -> None:
    """Run a prepared run in this process (what --detach starts)."""
    from engine.cli.commands import execute_command

    execute_command(run_id, settings_for(runs_dir), foreground)


@cli.command()
@click.argument("run_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@runs_dir_option
def status(run_id: str | None, as_json: bool, runs_dir: Path | None) -> None:
    """List runs, or show one run in detail."""
    from engine.cli.commands import status_command

    status_command(run_id, settings_for(runs_dir), as_json)


@cli.command()
@click.argument("run_id")
@click.option("--detach", is_flag=True, help="Resume in the background.")
@runs_dir_option
def resume(run_id: str, detach: bool, runs_dir: Path | None) -> None:
    """Continue a paused, interrupted or crashed run with the settings it was launched with."""
    from engine.cli.commands import resume_command

    resume_command(run_id, settings_for(runs_dir), detach)


@cli.command()
@click.argument("run_id")
@runs_dir_option
def stop(run_id: str, runs_dir: Path | None) -> None:
    """Stop a run's engine; remote sessions keep running and `resume` picks them up."""
    from engine.cli.commands import stop_command

    stop_command(run_id, settings_for(runs_dir))


@cli.command()
@click.argument("run_id")
@runs_dir_option
def validate(run_id: str, runs_dir: Path | None) -> None:
    """Check a run folder's consistency; exit 1 listing the problems."""
    from engine.cli.commands import validate_command

    validate_command(run_id, settings_for(runs_dir))


@cli.command()
@click.option("--name", help="This node's name; its workers are NAME.1, NAME.2, … (default: the host name).")
@click.option(
    "--queue",
    "queues",
    multiple=True,
    help="A queue to serve; repeat for several (default: the run_queue_name setting, 'runs').",
)
@click.option(
    "--max-runs",
    type=click.IntRange(1, 256),
    default=1,
    show_default=True,
    help="Runs this node holds at once: one worker process, and one engine, per run.",
)
@runs_dir_option
def worker(name: str | None, queues: tuple[str, ...], max_runs: int, runs_dir: Path | None) -> None:
    """Serve the run queue: run the engines of queued runs (needs RUN_QUEUE_URL=redis://…)."""
    from engine.fleet.cli import worker_command

    worker_command(settings_for(runs_dir), name, list(queues), max_runs)


@cli.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
@run_setting_option("seed", default=run_settings.default("seed"))
@run_setting_option("speed", default=run_settings.default("speed"))
@run_setting_option("sim_failure_rate", default=run_settings.default("sim_failure_rate"))
@run_setting_option("sim_fault_rate", default=run_settings.default("sim_fault_rate"))
@run_setting_option("sim_stall_rate", default=run_settings.default("sim_stall_rate"))
@run_setting_option("sim_rate_limit", default=run_settings.default("sim_rate_limit"))
@run_setting_option("sim_rate_burst", default=run_settings.default("sim_rate_burst"))
def simulator(
    port: int,
    seed: int,
    speed: float,
    sim_failure_rate: float,
    sim_fault_rate: float,
    sim_stall_rate: float,
    sim_rate_limit: float,
    sim_rate_burst: int,
) -> None:
    """Serve the simulated Devin API on 127.0.0.1 until Ctrl+C."""
    from engine.simulator import run_simulator_cli

    run_simulator_cli(
        port=port,
        seed=seed,
        speed=speed,
        failure_rate=sim_failure_rate,
        fault_rate=sim_fault_rate,
        stall_rate=sim_stall_rate,
        rate_limit=sim_rate_limit,
        rate_burst=sim_rate_burst,
    )


@cli.command()
@click.option(
    "--port", type=click.IntRange(0, 65535), default=9464, show_default=True, help="0 picks a free port."
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; anything but loopback lets the network read run ids and counts.",
)
@runs_dir_option
def metrics(port: int, host: str, runs_dir: Path | None) -> None:
    """Serve Prometheus metrics of every live run in the runs folder (/metrics, /healthz)."""
    from engine.metrics.exporter import run_exporter_cli

    runs = settings_for(runs_dir).runs_dir
    if not runs.is_dir():
        raise BadInputError(f"{runs}: no such runs folder")
    try:
        run_exporter_cli(runs, port, host)
    except OSError as exc:
        raise BadInputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


@cli.command("pull-pages")
@click.option(
    "--url",
    default=None,
    help="Loopback address to serve at (default: the SIM_PULL_PAGES_URL setting, http://127.0.0.1:8766).",
)
@runs_dir_option
def pull_pages(url: str | None, runs_dir: Path | None) -> None:
    """Serve the simulated pull requests saved in the run folders until Ctrl+C (the app does
    this by itself; this is for the command line alone)."""
    from engine.cli.commands import pull_pages_command

    pull_pages_command(settings_for(runs_dir), url)


@cli.command()
@click.option("--rows", type=click.IntRange(min=1), default=1000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Output file (default: standard output).",
)
def sample(rows: int, seed: int, out: Path | None) -> None:
    """Write a realistic findings CSV of N rows (deterministic per seed)."""
    from engine.sample import write_sample_csv

    if out is None:
        write_sample_csv(sys.stdout, rows, seed)
        return
    with out.open("w", newline="", encoding="utf-8") as handle:
        written = write_sample_csv(handle, rows, seed)
    click.echo(f"wrote {written} findings to {out}", err=True)


cli.add_command(ledger)
cli.add_command(memory)
