"""What the app's Workers page shows: the fleet's workers and its jobs, read from Redis.

Only reads: registries are listed without RQ's cleanup (which would re-queue abandoned jobs
from the app's process; the nodes do that, under their maintenance lock)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker
from rq.job import Job
from rq.registry import FailedJobRegistry, StartedJobRegistry

from engine.fleet.connection import connect
from engine.fleet.timing import MONITOR_SECONDS, RQ_HEARTBEAT_GRACE_SECONDS
from engine.settings.environment import Settings

JOBS_LISTED = 100  # per table, newest first
# A busy worker beats every MONITOR_SECONDS; one silent for longer than RQ allows is dead.
SILENT_AFTER_SECONDS = MONITOR_SECONDS + RQ_HEARTBEAT_GRACE_SECONDS


class WorkerRow(BaseModel):
    name: str
    node: str
    host: str | None
    pid: int | None
    state: str  # idle, busy, … as RQ says; "silent" when its heartbeat is overdue
    queues: list[str]
    current_runs: list[str]
    last_heartbeat: datetime | None
    started_at: datetime | None
    jobs_done: int
    jobs_failed: int


class JobRow(BaseModel):
    job_id: str
    run_id: str | None
    queue: str
    status: Literal["queued", "running", "failed"]
    worker: str | None = None
    attempts: int = 0
    failovers_left: int | None = None
    enqueued_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    error: str | None = None


class FleetOverview(BaseModel):
    workers: list[WorkerRow]
    queued: list[JobRow]
    running: list[JobRow]
    failed: list[JobRow]
    error: str | None = None  # Redis did not answer


def overview_for(settings: Settings) -> FleetOverview | None:
    """The fleet as the app shows it; None when runs start locally (no queue URL is set)."""
    url = settings.queue_url
    return None if url is None else fleet_overview(connect(url))


def fleet_overview(redis: Redis, now: datetime | None = None) -> FleetOverview:
    now = now or datetime.now(UTC)
    try:
        queues = Queue.all(connection=redis)
        return FleetOverview(
            workers=[_worker_row(w, now) for w in Worker.all(connection=redis)],
            queued=[_job_row(j, q.name, "queued") for q in queues for j in q.get_jobs(0, JOBS_LISTED)],
            running=_registry_rows(redis, queues, StartedJobRegistry, "running"),
            failed=_registry_rows(redis, queues, FailedJobRegistry, "failed"),
        )
    except RedisError as exc:
        return FleetOverview(workers=[], queued=[], running=[], failed=[], error=str(exc))


def _worker_row(worker: Worker, now: datetime) -> WorkerRow:
    runs = []
    for execution in worker.get_current_executions(refresh=True):
        job = Job.fetch(execution.job_id, connection=worker.connection) if execution.job_id else None
        if job is not None:
            runs.append(str(job.meta.get("run_id") or (job.args[0] if job.args else job.id)))
    beat = worker.last_heartbeat
    state = str(worker.get_state())
    if beat is not None and (now - _utc(beat)).total_seconds() > SILENT_AFTER_SECONDS:
        state = "silent"
    return WorkerRow(
        name=worker.name,
        node=worker.name.split(".", 1)[0],
        host=worker.hostname,
        pid=worker.pid,
        state=state,
        queues=worker.queue_names(),
        current_runs=runs,
        last_heartbeat=_utc(beat) if beat else None,
        started_at=_utc(worker.birth_date) if worker.birth_date else None,
        jobs_done=worker.successful_job_count,
        jobs_failed=worker.failed_job_count,
    )


def _registry_rows(redis: Redis, queues: list[Queue], registry_class: type, status: str) -> list[JobRow]:
    rows = []
    for queue in queues:
        registry = registry_class(queue.name, connection=redis)
        ids = registry.get_job_ids(0, JOBS_LISTED - 1, desc=True, cleanup=False)
        for job in Job.fetch_many(list(dict.fromkeys(ids)), connection=redis):
            if job is not None:
                rows.append(_job_row(job, queue.name, status))  # type: ignore[arg-type]
    return rows


def _job_row(job: Job, queue: str, status: Literal["queued", "running", "failed"]) -> JobRow:
    error = None
    if status == "failed":
        result = job.latest_result()
        text = (result.exc_string if result is not None else None) or ""
        error = text.strip().splitlines()[-1][:300] if text.strip() else None
    return JobRow(
        job_id=job.id,
        run_id=job.meta.get("run_id"),
        queue=queue,
        status=status,
        worker=job.worker_name or None,
        attempts=int(job.meta.get("attempts", 0)),
        failovers_left=job.retries_left,
        enqueued_at=_utc(job.enqueued_at) if job.enqueued_at else None,
        started_at=_utc(job.started_at) if job.started_at else None,
        ended_at=_utc(job.ended_at) if job.ended_at else None,
        error=error,
    )


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
