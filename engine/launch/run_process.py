"""A run's engine process on this machine: may it be resumed, and stopping it by a signal.

The launchers (engine/launch/) build on this; starting, resuming and stopping a run through
whichever launcher the settings choose is engine/launch/control.py, above them."""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from engine.core.errors import BadInputError
from engine.core.models import RESUMABLE_RUN_STATUSES, RunStatus
from engine.launch.findings_file import check_planned_files
from engine.runs.damage import check_file_kind
from engine.runs.detach import read_bootstrap
from engine.runs.index import read_index
from engine.runs.launch_record import read_launch
from engine.runs.liveness import Liveness, LivenessCheck, display_status, engine_liveness
from engine.runs.paths import RunPaths
from engine.runs.reviews import reviews_path
from engine.runs.state_store import load_state_if_present
from engine.settings.environment import Settings

STOP_WAIT_SECONDS = 6.0


def _where(liveness: Liveness, pid: int | None) -> str:
    if liveness.process is not None:
        return f"pid {liveness.process.pid}"
    if liveness.worker is not None:
        return f"worker {liveness.worker} on host {liveness.host}"
    return f"on host {liveness.host}, pid {pid}"


def check_resumable(paths: RunPaths, liveness: LivenessCheck = engine_liveness) -> None:
    """Refuses, before anything is written, a run whose engine is alive (as `status` sees it:
    the launcher's liveness check) or that cannot continue. A damaged file would stop its
    engine part-way (a damaged index at the very first checkpoint), so each one the engine
    reads or appends to is checked first and named in the refusal."""
    check_run_files(paths)
    run = load_state_if_present(paths.state)
    if run is None:
        boot = read_bootstrap(paths)
        live = liveness(None, boot)
        if live.alive and boot is not None:
            raise BadInputError(
                f"run {paths.run_id} is starting ({_where(live, boot.pid)}); nothing to resume"
            )
        # The engine builds its first state from these.
        read_launch(paths)
        check_planned_files(paths)
        return
    if run.status == RunStatus.running and (live := liveness(run, None)).alive:
        raise BadInputError(f"run {paths.run_id} is running ({_where(live, run.pid)}); nothing to resume")
    if run.status not in RESUMABLE_RUN_STATUSES and run.status != RunStatus.running:
        raise BadInputError(f"run {paths.run_id} is {run.status.value}; nothing to resume")


def check_run_files(paths: RunPaths) -> None:
    """DamagedFileError for the first of the run's files that is not a regular file, or for a
    damaged run index."""
    for path in run_files(paths):
        check_file_kind(path)
    read_index(paths.root.parent)


def run_files(paths: RunPaths) -> list[Path]:
    """Every file of a run folder the engine or the app reads or writes."""
    return [
        paths.state,
        paths.events,
        paths.dispatch_journal,
        paths.simulator_journal,
        paths.simulator_stats,
        paths.findings,
        paths.earlier_input,
        paths.earlier_plan,
        paths.launch,
        paths.ingest_report,
        paths.bootstrap,
        paths.engine_log,
        reviews_path(paths),
    ]


def _wait_gone(process: psutil.Process, timeout: float) -> bool:
    """True once the process has exited (a zombie awaiting its parent counts as exited)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


@dataclass(frozen=True)
class StopResult:
    stopped: bool
    message: str


def stop_run(settings: Settings, run_id: str) -> StopResult:
    """The local launcher's stop: signals the run's engine, after making sure the pid really is
    that engine, and waits for it to record `interrupted`. Remote sessions keep running;
    resume picks them up."""
    paths = RunPaths.existing(settings.runs_dir, run_id)
    run = load_state_if_present(paths.state)
    live = engine_liveness(run, read_bootstrap(paths) if run is None else None)
    process = live.process
    if process is None:
        if live.alive:  # on another host: only a signal there can stop it
            raise BadInputError(f"run {run_id}'s engine runs on host {live.host}; stop it there")
        shown = display_status(run, live) if run else "not started"
        return StopResult(False, f"run {run_id} has no live engine ({shown}); nothing to stop")
    process.send_signal(signal.SIGTERM)
    if not _wait_gone(process, STOP_WAIT_SECONDS):
        raise RuntimeError(
            f"run {run_id}: engine pid {process.pid} did not exit within {STOP_WAIT_SECONDS:g} s"
        )
    final = load_state_if_present(paths.state)
    shown = final.status.value if final else "before its first state"
    return StopResult(
        True,
        f"run {run_id} stopped ({shown}); remote sessions keep running, "
        f"`python -m engine resume {run_id}` continues it",
    )
