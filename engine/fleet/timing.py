"""The fleet's intervals, and the failover time they add up to.

A run's worker dies: RQ finds its job abandoned once the job's entry in the started registry
expires, which a live worker pushes forward every MONITOR_SECONDS by RQ's own rule (the
monitoring interval plus RQ_HEARTBEAT_GRACE_SECONDS, 60 s that RQ adds); the next registry
cleanup, run every MAINTENANCE_SECONDS by every worker pool, re-queues it (it has retries
left: FAILOVER_RETRIES); an idle worker takes it at once, its job takes the lease, which
expired LEASE_SECONDS after the dead job last renewed it, and starts the engine, which resumes
with the run's reconcile. So a failover takes at most

    MONITOR_SECONDS + RQ_HEARTBEAT_GRACE_SECONDS + MAINTENANCE_SECONDS + engine start
    = 5 + 60 + 5 + a few seconds, about 75 s,

as long as a worker is free to take it."""

from __future__ import annotations

LEASE_SECONDS = 15.0  # a lease not renewed for this long expires
RENEW_SECONDS = 5.0  # the holding job renews its lease this often
STOP_POLL_SECONDS = 0.5  # the holding job looks for a stop request this often
MONITOR_SECONDS = 5  # RQ's job_monitoring_interval: a busy worker's heartbeat
RQ_HEARTBEAT_GRACE_SECONDS = 60  # what RQ adds to the monitoring interval (rq.worker)
MAINTENANCE_SECONDS = 5  # registry cleanup, which re-queues abandoned jobs
WORKER_TTL_SECONDS = 35  # an idle worker's registration lives this long; it blocks 20 s per dequeue
FAILOVER_RETRIES = 10  # how often one job may be re-queued after its worker died
FAILOVER_BOUND_SECONDS = MONITOR_SECONDS + RQ_HEARTBEAT_GRACE_SECONDS + MAINTENANCE_SECONDS + 15
ENGINE_EXIT_SECONDS = 8.0  # an engine asked to stop has this long before it is killed
RESULT_TTL_SECONDS = 7 * 24 * 3600  # finished jobs stay listed on the Workers page for a week
