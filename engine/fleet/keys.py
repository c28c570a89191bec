"""The Redis keys the fleet keeps about each run, beside RQ's own (`rq:*`).

- `lease`: which job attempt may run the run's engine, as a token unique to that attempt; set
  if absent with an expiry, renewed while the engine lives (engine/fleet/lease.py).
- `holder`: who holds the lease (worker, host, job, engine pid), for the app; it expires with
  the lease.
- `stop`: a stop request; the holding job turns it into SIGTERM for its engine.
- `job`: the id of the run's latest job, so a launcher can tell whether one still waits."""

from __future__ import annotations

PREFIX = "patchwave"


def run_key(run_id: str, what: str) -> str:
    return f"{PREFIX}:run:{run_id}:{what}"


def lease_key(run_id: str) -> str:
    return run_key(run_id, "lease")


def holder_key(run_id: str) -> str:
    return run_key(run_id, "holder")


def stop_key(run_id: str) -> str:
    return run_key(run_id, "stop")


def job_key(run_id: str) -> str:
    return run_key(run_id, "job")


def enqueue_lock_key(run_id: str) -> str:
    return run_key(run_id, "enqueue-lock")


def run_of_lease_key(key: str) -> str:
    """The run id a lease key names."""
    return key.removeprefix(f"{PREFIX}:run:").removesuffix(":lease")
