"""The job a fleet worker runs for a run: the same engine entry point as `run --detach`.

In RQ's work horse (a process of its own for each job) `run_engine_job`:

1. decides whether there is anything to do: nothing for a run already completed, or failed
   since it was queued; on a failover attempt (the job re-queued after its worker died) only
   a run that was still running is continued;
2. takes the run's lease in Redis (engine/fleet/lease.py), waiting a little for a dead
   holder's lease to expire;
3. starts `python -m engine execute RUN_ID --runs-dir …` in its own process group, with the
   lease's key and this attempt's token in its environment (engine/runs/fence.py) and the API
   key from this worker's own environment, never from the job;
4. while the engine lives: renews the lease, turns a stop request into SIGTERM, and, when the
   lease is lost (this process stood still past it and another attempt holds the run), stops
   the engine and leaves without a word to RQ, whose job now belongs to that other attempt.

The engine's resume is what makes a failover safe: it reconciles the run from its folder (the
write-ahead dispatch journal, idempotent creates, the run's tag listing), so no session is
created twice."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from pathlib import Path
from types import FrameType
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import get_current_job
from rq.job import Job

from engine.core.clock import host_name
from engine.core.errors import BadInputError
from engine.core.models import BatchRun, RunStatus
from engine.fleet import keys
from engine.fleet.lease import Lease, new_token
from engine.fleet.timing import ENGINE_EXIT_SECONDS, LEASE_SECONDS, RENEW_SECONDS, STOP_POLL_SECONDS
from engine.runs.detach import start_engine
from engine.runs.fence import LEASE_KEY_ENV, LEASE_TOKEN_ENV, QUEUE_URL_ENV, WORKER_ENV
from engine.runs.liveness import heartbeat_is_fresh
from engine.runs.paths import RunPaths
from engine.runs.state_store import STALE_AFTER_SECONDS, load_state_if_present
from engine.settings.environment import Settings, load_settings

log = logging.getLogger(__name__)

# A worker asked to shut down warmly sends this to its job: the engine stops (interrupted) and
# the run is queued again for another worker, instead of the worker waiting hours for it.
HANDOFF_SIGNAL = signal.SIGUSR1
LEASE_WAIT_SECONDS = LEASE_SECONDS + 2  # a holder that just died keeps its lease this long at most
FRESH_HEARTBEAT_WAIT_SECONDS = STALE_AFTER_SECONDS + 5


def run_engine_job(run_id: str) -> dict[str, Any]:
    job = get_current_job()
    assert job is not None, "run_engine_job runs only as an RQ job"
    signal.signal(HANDOFF_SIGNAL, _Handoff.handle)  # first: the default action would kill us
    settings = load_settings()
    worker = os.environ.get("RQ_WORKER_ID") or host_name()
    try:
        paths = RunPaths.existing(settings.runs_dir, run_id)
    except BadInputError as exc:
        _no_retries(job)  # every attempt here would fail the same way
        raise BadInputError(
            f"{exc} (worker {worker}, RUNS_DIR {settings.runs_dir}): the runs folder must be on "
            "storage every worker mounts at its RUNS_DIR"
        ) from exc
    attempt = int(job.meta.get("attempts", 0)) + 1
    job.meta["attempts"] = attempt
    job.save_meta()
    redis = job.connection
    if redis.exists(keys.stop_key(run_id)):
        redis.delete(keys.stop_key(run_id))
        return _outcome(run_id, "stopped before its engine started", paths)
    reason = _nothing_to_do(load_state_if_present(paths.state), job, attempt)
    if reason is not None:
        return _outcome(run_id, reason, paths)
    if not _heartbeat_goes_stale(paths):
        return _outcome(run_id, "an engine without a fleet lease keeps it running", paths)
    lease = Lease(redis, run_id, new_token(worker, job.id))
    holder = {"worker": worker, "host": host_name(), "job": job.id, "attempt": str(attempt)}
    if not lease.acquire(holder, wait_seconds=LEASE_WAIT_SECONDS):
        return _outcome(run_id, "another worker's job holds its lease", paths)
    try:
        return _run_engine(settings, paths, job, worker, lease)
    finally:
        lease.release()


def _nothing_to_do(run: BatchRun | None, job: Job, attempt: int) -> str | None:
    if run is None:
        return None  # nothing started yet, or its first engine died before its first state
    if run.status == RunStatus.completed:
        return "already completed"
    if run.status == RunStatus.failed and (
        attempt > 1 or run.engine_stats.state_writes != job.meta.get("state_writes_when_queued")
    ):
        return "failed after it was queued"  # a person may resume it again
    if attempt > 1 and run.status != RunStatus.running:
        # Its engine ended the run its own way (stopped, paused at a gate) before the worker died.
        return f"{run.status.value} before its worker died"
    return None


def _heartbeat_goes_stale(paths: RunPaths) -> bool:
    """A run whose last engine was started outside the fleet (no lease guards it) and whose
    state says running with a fresh heartbeat has a live engine somewhere: give it time to show
    it is gone. A fleet engine's state is no such sign: the lease decides for it, and across
    hosts a heartbeat stays "fresh" for as long as clocks may disagree."""
    deadline = time.monotonic() + FRESH_HEARTBEAT_WAIT_SECONDS
    while True:
        run = load_state_if_present(paths.state)
        if run is None or run.engine_worker is not None:
            return True
        if run.status != RunStatus.running or not heartbeat_is_fresh(run):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(1.0)


class _Handoff:
    """Set by HANDOFF_SIGNAL (the worker's warm shutdown)."""

    requested = False

    @classmethod
    def handle(cls, signum: int, frame: FrameType | None) -> None:
        cls.requested = True


def _run_engine(settings: Settings, paths: RunPaths, job: Job, worker: str, lease: Lease) -> dict[str, Any]:
    assert settings.queue_url is not None
    env = {
        LEASE_KEY_ENV: lease.key,
        LEASE_TOKEN_ENV: lease.token,
        WORKER_ENV: worker,
        QUEUE_URL_ENV: settings.queue_url,
    }
    noted = {"job_id": job.id, "queue": job.origin, "worker": worker}
    if _Handoff.requested:  # the worker is shutting down already: let another one start it
        _requeue_after_handoff(job, paths, require_interrupted=False)
        return _outcome(paths.run_id, "handed off before its engine started", paths)
    boot, process = start_engine(paths, settings.runs_dir, settings.api_key, extra_env=env, noted=noted)
    if process is None:
        if boot.status == "failed_to_spawn":
            _no_retries(job)
            raise RuntimeError(f"the engine of run {paths.run_id} did not start: {boot.error}")
        return _outcome(paths.run_id, "its engine ended at once", paths)
    lease.set_holder(engine_pid=str(process.pid))
    code, stopped, handed_off = _watch(process, lease, job.connection, paths.run_id)
    if handed_off:
        _requeue_after_handoff(job, paths)
    outcome = "handed off" if handed_off else ("stopped" if stopped else "engine exited")
    return _outcome(paths.run_id, outcome, paths, exit_code=code)


def _watch(process: subprocess.Popen, lease: Lease, redis: Redis, run_id: str) -> tuple[int, bool, bool]:
    """Waits for the engine, renewing the lease and acting on stop requests. Returns the exit
    code and whether a stop request or a handoff ended it."""
    next_renewal = time.monotonic() + RENEW_SECONDS
    signalled_at: float | None = None
    stopped = False
    while True:
        try:
            return process.wait(timeout=STOP_POLL_SECONDS), stopped, _Handoff.requested and not stopped
        except subprocess.TimeoutExpired:
            pass
        now = time.monotonic()
        if now >= next_renewal:
            renewed = lease.renew()
            if renewed is False or (renewed is None and lease.expired_locally):
                _leave_fenced(process, run_id)
            next_renewal = now + (RENEW_SECONDS if renewed else 1.0)
        if signalled_at is None:
            stopped = _stop_requested(redis, run_id)
            if stopped or _Handoff.requested:
                process.send_signal(signal.SIGTERM)
                signalled_at = now
        elif now - signalled_at > ENGINE_EXIT_SECONDS:
            process.kill()  # its own watchdog should have ended it long ago


def _stop_requested(redis: Redis, run_id: str) -> bool:
    try:
        if redis.exists(keys.stop_key(run_id)):
            redis.delete(keys.stop_key(run_id))
            return True
    except RedisError:
        pass  # asked again at the next poll
    return False


def _leave_fenced(process: subprocess.Popen, run_id: str) -> None:
    """The lease is gone: this attempt stood still past it (or Redis was away longer than
    it), and another attempt may run the run by now. The engine is stopped (its own fence
    keeps it from writing), and this process ends without reporting to RQ: the job, if it was
    re-queued, is that other attempt's."""
    log.warning("run %s: lease lost; stopping its engine (pid %s) without writing", run_id, process.pid)
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=ENGINE_EXIT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    os._exit(0)


def _requeue_after_handoff(job: Job, paths: RunPaths, *, require_interrupted: bool = True) -> None:
    from engine.fleet.enqueue import enqueue_run

    run = load_state_if_present(paths.state)
    if not require_interrupted or (run is not None and run.status == RunStatus.interrupted):
        enqueue_run(job.connection, job.origin, paths, reason="handoff", replacing=job.id)


def _no_retries(job: Job) -> None:
    job.retries_left = 0
    job.save()


def _outcome(run_id: str, outcome: str, paths: RunPaths, exit_code: int | None = None) -> dict[str, Any]:
    run = load_state_if_present(Path(paths.state))
    result = {
        "run_id": run_id,
        "outcome": outcome,
        "status": run.status.value if run else None,
        "exit_code": exit_code,
    }
    log.info("run %s: %s", run_id, result)
    return result
