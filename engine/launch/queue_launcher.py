"""The queue launcher (`RUN_QUEUE_URL=redis://…`): runs go to the worker fleet (engine/fleet/).

Launch and resume queue a job (engine/fleet/enqueue.py); a worker's job runs the engine. Stop
sets a flag in Redis that the job holding the run turns into SIGTERM, so a stop reaches the
engine whichever host runs it, and the run shows `interrupted` within STOP_WAIT_SECONDS. A run
the fleet runs is alive while its heartbeat is fresh and a lease holder exists; no pid is
consulted. Runs that were started locally (before the fleet, or by a foreground `run`) are
still judged, and stopped, the local way."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from redis import Redis
from redis.exceptions import RedisError
from rq.job import JobStatus

from engine.core.errors import BadInputError
from engine.core.models import BatchRun, RunStatus
from engine.fleet.connection import connect
from engine.fleet.enqueue import active_job, enqueue_run, request_stop
from engine.fleet.lease import lease_holder
from engine.launch import run_process
from engine.runs.detach import Bootstrap, read_bootstrap
from engine.runs.liveness import Liveness, display_status, engine_liveness, heartbeat_is_fresh
from engine.runs.paths import RunPaths
from engine.runs.state_store import load_state_if_present
from engine.settings.environment import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

STOP_WAIT_SECONDS = run_process.STOP_WAIT_SECONDS
STOP_POLL_SECONDS = 0.1


def fleet_run(run: BatchRun | None, bootstrap: Bootstrap | None) -> bool:
    """Whether the fleet started (or queued) this run's latest engine."""
    if run is not None and run.engine_worker is not None:
        return True
    return bootstrap is not None and (bootstrap.status == "queued" or bootstrap.worker is not None)


def _queue_answers(method: Callable[..., T]) -> Callable[..., T]:
    """Redis not answering is said as such (the app and the CLI show it), not as a crash."""

    @wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return method(*args, **kwargs)
        except RedisError as exc:
            raise BadInputError(f"the run queue (RUN_QUEUE_URL) does not answer: {exc}") from exc

    return wrapper


class QueueLauncher:
    kind = "queue"

    def __init__(self, settings: Settings, url: str) -> None:
        self.settings = settings
        self.redis = connect(url)
        self.queue_name = settings.run_queue_name

    @_queue_answers
    def start(self, paths: RunPaths) -> Bootstrap:
        return enqueue_run(self.redis, self.queue_name, paths)

    @_queue_answers
    def check_resumable(self, paths: RunPaths) -> None:
        job = active_job(self.redis, paths.run_id)
        if job is not None:
            status = job.get_status(refresh=False)
            detail = (
                "it waits for a worker"
                if status == JobStatus.QUEUED
                else "a worker runs it, or the fleet re-queues it once that worker is found dead"
            )
            raise BadInputError(f"run {paths.run_id} has job {job.id} in the fleet ({status}): {detail}")
        run_process.check_resumable(paths, self.liveness)

    @_queue_answers
    def stop(self, run_id: str) -> run_process.StopResult:
        paths = RunPaths.existing(self.settings.runs_dir, run_id)
        run = load_state_if_present(paths.state)
        boot = read_bootstrap(paths)
        if not fleet_run(run, boot):
            return run_process.stop_run(self.settings, run_id)  # a local engine: a signal stops it
        job = active_job(self.redis, run_id)
        if job is not None and job.get_status(refresh=False) == JobStatus.QUEUED:
            return self._unqueue(paths, job)
        if lease_holder(self.redis, run_id) is None and job is None:
            live = self.liveness(run, boot)
            shown = display_status(run, live) if run else "not started"
            return run_process.StopResult(
                False, f"run {run_id} has no live engine ({shown}); nothing to stop"
            )
        request_stop(self.redis, run_id)
        return self._await_stop(paths, run_id)

    def _unqueue(self, paths: RunPaths, job) -> run_process.StopResult:  # type: ignore[no-untyped-def]
        request_stop(self.redis, paths.run_id)  # should a worker take it this very moment
        try:
            job.cancel()
        except Exception as exc:  # taken meanwhile: the flag stops it
            log.info("job %s: %s", job.id, exc)
        # The run is as its last engine left it (or never started): bootstrap.json no longer
        # says queued.
        paths.bootstrap.unlink(missing_ok=True)
        return run_process.StopResult(
            True, f"run {paths.run_id} was queued; it is taken off the queue before any engine started"
        )

    def _await_stop(self, paths: RunPaths, run_id: str) -> run_process.StopResult:
        deadline = time.monotonic() + STOP_WAIT_SECONDS
        while time.monotonic() < deadline:
            final = load_state_if_present(paths.state)
            if final is not None and final.status != RunStatus.running:
                return run_process.StopResult(
                    True,
                    f"run {run_id} stopped ({final.status.value}); remote sessions keep running, "
                    f"`python -m engine resume {run_id}` continues it",
                )
            time.sleep(STOP_POLL_SECONDS)
        if lease_holder(self.redis, run_id) is None:
            return run_process.StopResult(
                True,
                f"run {run_id}: its worker is gone; the stop applies when the fleet re-queues the run",
            )
        raise RuntimeError(f"run {run_id}: its engine did not record the stop within {STOP_WAIT_SECONDS:g} s")

    def liveness(self, run: BatchRun | None, bootstrap: Bootstrap | None = None) -> Liveness:
        if run is None:
            if bootstrap is not None and bootstrap.status == "queued":
                return Liveness(False, "queued")
            return engine_liveness(None, bootstrap)
        if run.engine_worker is None:
            return engine_liveness(run)  # started locally
        try:
            holder = lease_holder(self.redis, run.run_id)
            waiting = holder is None and _queued_again(self.redis, run.run_id)
        except RedisError as exc:
            log.warning(
                "the fleet's Redis does not answer (%s): judging run %s by its heartbeat", exc, run.run_id
            )
            fresh = heartbeat_is_fresh(run)
            return Liveness(fresh, "heartbeat" if fresh else "stale heartbeat", host=run.engine_host)
        if holder is None:
            return Liveness(
                False, "queued" if waiting else "no lease", host=run.engine_host, worker=run.engine_worker
            )
        fresh = heartbeat_is_fresh(run)
        return Liveness(
            fresh,
            "lease" if fresh else "stale heartbeat",
            host=holder.get("host"),
            worker=holder.get("worker"),
        )


def _queued_again(redis: Redis, run_id: str) -> bool:
    job = active_job(redis, run_id)
    return job is not None and job.get_status(refresh=False) == JobStatus.QUEUED
