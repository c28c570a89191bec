"""`python -m engine worker`: a node of the fleet, a thin layer over RQ's WorkerPool.

A node runs `max_runs` RQ workers, each holding one run at a time: RQ forks a work horse per
job, and the horse runs the run's engine (engine/fleet/job.py). What this adds to RQ:

- the intervals that bound a failover (engine/fleet/timing.py), on every worker;
- a registry cleanup every MAINTENANCE_SECONDS from the node's own process, which re-queues
  the jobs of dead workers even while every worker of the node is busy (RQ's workers clean
  only between jobs, and a run's job lasts hours);
- a maintenance lock that expires in seconds, not RQ's 15 minutes, so a node killed while
  holding it does not hold up failover;
- a busy worker that rides out a Redis restart instead of quitting on its first failed
  heartbeat;
- on a warm shutdown (SIGTERM or Ctrl+C once) each busy worker hands its run off: the engine
  stops (interrupted) and the run is queued again for another worker, rather than the
  shutdown waiting for a run that lasts hours;
- names that say which node a worker belongs to: NODE.1, NODE.2, …"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import time
import uuid
from collections.abc import Sequence
from typing import Any

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import Queue, Worker
from rq.worker_pool import WorkerPool

from engine.core.clock import host_name
from engine.fleet.job import HANDOFF_SIGNAL
from engine.fleet.timing import MAINTENANCE_SECONDS, MONITOR_SECONDS, WORKER_TTL_SECONDS

log = logging.getLogger(__name__)

MAINTENANCE_LOCK_SECONDS = max(2, MAINTENANCE_SECONDS - 1)


class FleetQueue(Queue):
    def acquire_maintenance_lock(self) -> bool:
        return bool(self.connection.set(self.registry_cleaning_key, 1, nx=True, ex=MAINTENANCE_LOCK_SECONDS))


class FleetWorker(Worker):
    queue_class = FleetQueue

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("job_monitoring_interval", MONITOR_SECONDS)
        kwargs.setdefault("worker_ttl", WORKER_TTL_SECONDS)
        # The node's own process cleans every MAINTENANCE_SECONDS; a worker's own cleaning
        # between jobs keeps RQ's interval.
        kwargs.setdefault("queue_class", FleetQueue)
        super().__init__(*args, **kwargs)
        if self.hostname is not None:
            self.hostname = host_name()  # as run states name hosts

    def maintain_heartbeats(self, job, execution) -> None:  # type: ignore[no-untyped-def]
        try:
            super().maintain_heartbeats(job, execution)
        except (RedisConnectionError, RedisTimeoutError) as exc:
            # Redis restarting: the run goes on; the next heartbeat comes within the interval,
            # well inside the 60 s RQ allows before it calls the job abandoned.
            self.log.warning("Worker %s: heartbeat failed (%s); retrying", self.name, exc)

    def handle_warm_shutdown_request(self) -> None:
        super().handle_warm_shutdown_request()
        if self.horse_pid:
            self.log.info("Worker %s: handing its run off before it stops", self.name)
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.horse_pid, HANDOFF_SIGNAL)


def run_fleet_worker(
    worker_name: str,
    queue_names: Sequence[str],
    connection_class: type,
    connection_pool_class: type,
    connection_pool_kwargs: dict[str, Any],
    logging_level: str = "INFO",
    **_: Any,
) -> None:
    """One worker process of the pool (RQ's run_worker, with our worker and no scheduler:
    failover retries are immediate, so nothing is ever scheduled)."""
    from redis import ConnectionPool

    connection = connection_class(
        connection_pool=ConnectionPool(connection_class=connection_pool_class, **connection_pool_kwargs)
    )
    queues = [FleetQueue(name, connection=connection) for name in queue_names]
    worker = FleetWorker(queues, name=worker_name, connection=connection)
    worker.work(logging_level=logging_level)


class FleetPool(WorkerPool):
    def __init__(self, node: str, queues: Sequence[str], connection: Redis, num_workers: int) -> None:
        super().__init__(
            list(queues),
            connection=connection,
            num_workers=num_workers,
            worker_class=FleetWorker,
            queue_class=FleetQueue,
        )
        self.node = node
        self._numbers = itertools.count(1)
        self._maintained_at = 0.0
        self._maintainer = FleetWorker(
            [FleetQueue(q, connection=connection) for q in queues],
            name=f"{node}.maintenance",
            connection=connection,
            prepare_for_work=False,
            maintenance_interval=MAINTENANCE_SECONDS,
        )
        self._maintainer.log = logging.getLogger("rq.worker.maintenance")  # every few seconds: quiet
        self._maintainer.log.setLevel(logging.WARNING)

    def start_worker(
        self, count: int | None = None, burst: bool = True, _sleep: float = 0, logging_level: str = "INFO"
    ) -> None:
        # NODE.N, and a suffix: a restarted node must not meet its dead workers' names in Redis.
        name = f"{self.node}.{next(self._numbers)}.{uuid.uuid4().hex[:4]}"
        process = self.get_worker_process(name, burst=burst, _sleep=_sleep, logging_level=logging_level)
        process.start()
        from rq.worker_pool import WorkerData

        self.worker_dict[name] = WorkerData(name=name, pid=process.pid, process=process)  # type: ignore[arg-type]

    def get_worker_process(self, name: str, burst: bool, _sleep: float = 0, logging_level: str = "INFO"):  # type: ignore[no-untyped-def]
        from rq.worker_pool import ForkProcess

        return ForkProcess(
            target=run_fleet_worker,
            args=(name, self._queue_names, self._connection_class, self._pool_class, self._pool_kwargs),
            kwargs={"logging_level": logging_level},
            name=f"Worker {name}",
        )

    def check_workers(self, respawn: bool = True) -> None:
        super().check_workers(respawn)
        due = time.monotonic() - self._maintained_at >= MAINTENANCE_SECONDS
        if due and self.status != self.Status.STOPPED:
            self._maintained_at = time.monotonic()
            try:
                self._maintainer.clean_registries()
            except RedisError as exc:
                log.warning("node %s: registry cleanup failed (%s); trying again shortly", self.node, exc)


def serve(url: str, node: str | None, queues: Sequence[str], max_runs: int) -> None:
    """Runs a node until it is asked to stop (SIGTERM, Ctrl+C)."""
    connection = Redis.from_url(url)
    connection.ping()  # a wrong URL is named now, not in every worker
    pool = FleetPool(node or host_name(), queues, connection, max_runs)
    pool.start(burst=False, logging_level="INFO")
