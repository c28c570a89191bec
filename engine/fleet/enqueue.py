"""Queueing a run for the fleet: the launcher's half of the queue launcher (the job is the other).

bootstrap.json says `queued` (with the job) before the job exists, so the job's own record
(starting, started) always comes after it. The job carries only the run id: its worker reads
the run from its own RUNS_DIR, and the API key from its own environment."""

from __future__ import annotations

import uuid

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.job import Job, JobStatus

from engine.core.clock import host_name
from engine.core.errors import BadInputError
from engine.fleet import keys
from engine.fleet.timing import FAILOVER_RETRIES, RESULT_TTL_SECONDS
from engine.runs.detach import Bootstrap, write_bootstrap
from engine.runs.paths import RunPaths
from engine.runs.state_store import load_state_if_present

JOB_FUNCTION = "engine.fleet.job.run_engine_job"
ENQUEUE_LOCK_SECONDS = 10
STOP_FLAG_SECONDS = 24 * 3600
# A job in one of these will still run (or runs): another one for the same run would wait.
WAITING_OR_RUNNING = frozenset({JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED})


def current_job(redis: Redis, run_id: str) -> Job | None:
    """The run's latest job, while RQ still knows it."""
    job_id = redis.get(keys.job_key(run_id))
    if job_id is None:
        return None
    try:
        return Job.fetch(job_id.decode(), connection=redis)
    except Exception:  # expired or removed: as good as none
        return None


def active_job(redis: Redis, run_id: str) -> Job | None:
    job = current_job(redis, run_id)
    if job is not None and job.get_status(refresh=False) in WAITING_OR_RUNNING:
        return job
    return None


def enqueue_run(
    redis: Redis, queue_name: str, paths: RunPaths, *, reason: str = "launch", replacing: str | None = None
) -> Bootstrap:
    """Queues the run's engine for a worker. Refuses when a job of the run still waits or
    runs (the lease would keep a second one from running anyway), unless it is the job
    `replacing` names: a job handing its run off queues its successor."""
    run_id = paths.run_id
    lock = keys.enqueue_lock_key(run_id)
    if not redis.set(lock, host_name(), nx=True, ex=ENQUEUE_LOCK_SECONDS):
        raise BadInputError(f"run {run_id} is being queued by another launcher right now")
    try:
        if (job := active_job(redis, run_id)) is not None and job.id != replacing:
            raise BadInputError(
                f"run {run_id} already has job {job.id} in the fleet ({job.get_status(refresh=False)})"
            )
        run = load_state_if_present(paths.state)
        job_id = f"run-{run_id}-{uuid.uuid4().hex[:8]}"
        queued = Bootstrap(status="queued", job_id=job_id, queue=queue_name)
        write_bootstrap(paths, queued)
        try:
            redis.delete(keys.stop_key(run_id))  # a stop that came after the last engine
            with redis.pipeline() as pipe:
                Queue(queue_name, connection=redis).enqueue(
                    JOB_FUNCTION,
                    run_id,
                    job_id=job_id,
                    description=f"run {run_id}",
                    job_timeout=-1,  # a run takes hours: never killed for its duration
                    result_ttl=RESULT_TTL_SECONDS,
                    failure_ttl=RESULT_TTL_SECONDS,
                    retry=Retry(max=FAILOVER_RETRIES),  # re-queued when its worker dies
                    meta={
                        "run_id": run_id,
                        "reason": reason,
                        "queued_by": host_name(),
                        "state_writes_when_queued": run.engine_stats.state_writes if run else 0,
                    },
                    pipeline=pipe,
                )
                pipe.set(keys.job_key(run_id), job_id)
                pipe.execute()
        except RedisError as exc:
            failed = Bootstrap(status="failed_to_spawn", error=f"could not queue the run: {exc}")
            write_bootstrap(paths, failed)
            return failed
        return queued
    finally:
        redis.delete(lock)


def request_stop(redis: Redis, run_id: str) -> None:
    redis.set(keys.stop_key(run_id), host_name(), ex=STOP_FLAG_SECONDS)
