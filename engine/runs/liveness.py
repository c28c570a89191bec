"""Is a run's engine alive? The pid must belong to this run's engine and its heartbeat be fresh."""

from __future__ import annotations

from datetime import timedelta

import psutil

from engine.models import BatchRun, RunStatus, utcnow
from engine.runs.state_store import STALE_AFTER_SECONDS


def engine_process(run: BatchRun) -> psutil.Process | None:
    """The engine process of this run, if alive: the recorded pid, started at the recorded
    time (so a recycled pid never matches), running `-m engine`."""
    if not run.pid or run.pid_create_time is None:
        return None
    try:
        process = psutil.Process(run.pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
        same_start = abs(process.create_time() - run.pid_create_time) < 1.0
        cmdline = process.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None
    return process if same_start and "engine" in cmdline else None


def heartbeat_is_fresh(run: BatchRun) -> bool:
    if run.heartbeat_at is None:
        return False
    return utcnow() - run.heartbeat_at < timedelta(seconds=STALE_AFTER_SECONDS)


def display_status(run: BatchRun) -> str:
    """The stored status, except that a 'running' run whose engine is gone shows 'crashed'."""
    if run.status == RunStatus.running and not (heartbeat_is_fresh(run) and engine_process(run)):
        return "crashed"
    return run.status.value
