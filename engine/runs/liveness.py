"""Is a run's engine alive? `engine_liveness` is the one answer: `status`, the app, `resume` and
`stop` all ask it, so they never disagree.

On the engine's own host its process decides (see engine.runs.process_identity): the recorded
pid, started at the recorded clock tick, running `-m engine`. That holds whatever the wall
clock does; the heartbeat is not consulted, so a clock set back does not make a live engine
look crashed and a clock set forward does not keep a dead one alive. Only a reader on another
host (a shared runs folder) has nothing but the heartbeat: then the engine is alive while its
heartbeat is recent, allowing for clocks that disagree by up to MAX_CLOCK_SKEW_SECONDS either
way; a heartbeat further in the future than that is not believed (it is not fresh forever)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import psutil

from engine.core.clock import ClockMark, elapsed_between
from engine.core.models import BatchRun, RunStatus
from engine.runs.process_identity import ProcessIdentity, find_process
from engine.runs.state_store import STALE_AFTER_SECONDS

if TYPE_CHECKING:
    from engine.runs.detach import Bootstrap

MAX_CLOCK_SKEW_SECONDS = 60.0  # how far another host's clock may be off and its engine still count
ENGINE_COMMAND_WORD = "engine"  # the engine runs as `python -m engine ...`

Basis = Literal[
    "process",
    "no process",
    "rebooted",
    "heartbeat",
    "stale heartbeat",
    "not started",
    # A run of the worker fleet (engine/launch/queue_launcher.py): its lease in Redis decides.
    "lease",
    "no lease",
    "queued",
]


@dataclass(frozen=True)
class Liveness:
    alive: bool
    basis: Basis  # what decided it
    process: psutil.Process | None = None  # the engine, when alive on this host
    host: str | None = None  # the host the engine was recorded on
    worker: str | None = None  # the fleet worker that holds the run, for a queued run


# What a launcher answers for a run (engine.launch.launchers.Launcher.liveness).
LivenessCheck = Callable[[BatchRun | None, "Bootstrap | None"], Liveness]


def engine_identity(run: BatchRun) -> ProcessIdentity | None:
    if not run.pid:
        return None
    return ProcessIdentity(
        pid=run.pid,
        start_ticks=run.pid_start_ticks,
        create_time=run.pid_create_time,
        host=run.engine_host,
        boot=run.engine_boot_id,
    )


def heartbeat_is_fresh(run: BatchRun, now: ClockMark | None = None) -> bool:
    """For a reader that cannot see the engine's process. On the engine's boot the monotonic
    readings are compared (exact); otherwise the wall times, within the skew allowance."""
    if run.heartbeat_at is None:
        return False
    beat = ClockMark(run.heartbeat_at.timestamp(), run.heartbeat_monotonic, run.engine_boot_id)
    age = elapsed_between(beat, now or ClockMark.now())
    if age.exact:
        return age.seconds < STALE_AFTER_SECONDS
    return -MAX_CLOCK_SKEW_SECONDS <= age.seconds < STALE_AFTER_SECONDS + MAX_CLOCK_SKEW_SECONDS


def engine_liveness(run: BatchRun | None, bootstrap: Bootstrap | None = None) -> Liveness:
    """Whether the run's engine is alive, and its process when it runs on this host. Before
    the engine wrote any state, the process the launcher started (bootstrap.json) is asked."""
    identity = engine_identity(run) if run is not None else None
    command_word: str | None = ENGINE_COMMAND_WORD
    if identity is None and bootstrap is not None:
        identity = bootstrap.engine_identity()
        if identity is not None and identity.start_ticks is None:
            command_word = None  # a bare pid from an older launcher: checked as it was then
    if identity is None:
        return Liveness(False, "not started")
    if not identity.on_this_host:
        if run is None:  # launched on another host, no heartbeat yet: nothing to go by
            return Liveness(False, "not started", host=identity.host)
        fresh = heartbeat_is_fresh(run)
        return Liveness(fresh, "heartbeat" if fresh else "stale heartbeat", host=identity.host)
    if identity.from_an_earlier_boot:
        return Liveness(False, "rebooted", host=identity.host)
    process = find_process(identity, command_word=command_word)
    return Liveness(process is not None, "process" if process else "no process", process, identity.host)


def display_status(run: BatchRun, liveness: Liveness | None = None) -> str:
    """The stored status, except that a 'running' run whose engine is gone shows 'crashed'."""
    if run.status == RunStatus.running and not (liveness or engine_liveness(run)).alive:
        return "crashed"
    return run.status.value
