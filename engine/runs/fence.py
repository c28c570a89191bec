"""Fencing: an engine started by the worker fleet writes only while its job holds the run's lease.

A fleet job takes a lease on its run in Redis before it starts the engine, and hands the engine
the lease's key and the job attempt's token through the environment (`LEASE_KEY_ENV`,
`LEASE_TOKEN_ENV`, and `RUN_QUEUE_URL`). Before every write to the run (state.json, the
append logs, the simulator's journal, the run index, the findings ledger) and before every
request that changes something remotely (a session create is preceded by its journal line,
a terminate by a check), the engine calls `check_lease`. It asks Redis whether the lease is
still its token's and, when it is, trusts that answer for the lease's remaining time less a
safety margin, measured on the monotonic clock: nobody else can take the lease before it
expires. A process that was stopped (SIGSTOP, a VM paused, a long GC) finds on waking that
the time has passed, asks again, learns that another attempt holds the run (or nobody does),
and raises `LeaseLostError`: it writes nothing more, whatever it was about to do.

Without those variables (the local launcher, a foreground run) `check_lease` does nothing."""

from __future__ import annotations

import logging
import os
import threading
import time
from functools import cache

log = logging.getLogger(__name__)

LEASE_KEY_ENV = "PATCHWAVE_LEASE_KEY"
LEASE_TOKEN_ENV = "PATCHWAVE_LEASE_TOKEN"
WORKER_ENV = "PATCHWAVE_WORKER"
QUEUE_URL_ENV = "RUN_QUEUE_URL"
# Trust a confirmed lease this much less than its remaining time: Redis's clock and ours may
# run slightly apart, and the confirmation took a round trip.
SAFETY_SECONDS = 2.0
# While Redis does not answer (a restart), a write waits this long for it before giving up.
UNREACHABLE_WAIT_SECONDS = 30.0
RETRY_SECONDS = 0.5


class LeaseLostError(Exception):
    """The run is no longer leased to this engine: another worker runs it now, or its lease
    expired while this process stood still. The engine must write nothing more."""


class RunFence:
    def __init__(self, url: str, key: str, token: str, worker: str | None) -> None:
        from redis import Redis

        from engine.fleet.scripts import VERIFY

        self.key, self.token, self.worker = key, token, worker
        self._redis = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._verify = self._redis.register_script(VERIFY)
        self._lock = threading.Lock()
        self._valid_until = 0.0  # time.monotonic() until which the last confirmation holds
        self._lost: str | None = None

    def check(self, what: str) -> None:
        """Returns when the lease is still this engine's; raises LeaseLostError otherwise."""
        with self._lock:
            if self._lost is None and time.monotonic() >= self._valid_until:
                self._confirm()
            if self._lost is not None:
                raise LeaseLostError(f"{self._lost}; refused to {what}")

    def _confirm(self) -> None:
        from redis.exceptions import RedisError

        deadline = time.monotonic() + UNREACHABLE_WAIT_SECONDS
        while True:
            asked = time.monotonic()
            try:
                remaining_ms = int(self._verify(keys=[self.key], args=[self.token]))
                break
            except RedisError as exc:
                if time.monotonic() >= deadline:
                    self._lost = f"the lease {self.key} could not be confirmed (Redis: {exc})"
                    return
                log.warning("lease %s: Redis does not answer (%s); waiting before writing", self.key, exc)
                time.sleep(RETRY_SECONDS)
        if remaining_ms == -2:
            self._lost = f"the lease {self.key} has expired"
        elif remaining_ms == -3:
            self._lost = f"the lease {self.key} is held by another worker's job"
        elif remaining_ms < 0:  # no expiry: never set so, trust it briefly
            self._valid_until = asked + SAFETY_SECONDS
        else:
            self._valid_until = asked + remaining_ms / 1000 - SAFETY_SECONDS
        if self._lost is not None:
            log.warning("%s: this engine stops and writes nothing more", self._lost)


@cache
def run_fence() -> RunFence | None:
    """This process's fence, from its environment; None when the engine was not started by a
    fleet job."""
    key, token = os.environ.get(LEASE_KEY_ENV), os.environ.get(LEASE_TOKEN_ENV)
    url = os.environ.get(QUEUE_URL_ENV)
    if not (key and token and url):
        return None
    return RunFence(url, key, token, os.environ.get(WORKER_ENV) or None)


def check_lease(what: str) -> None:
    """Call before writing to the run or acting on it remotely: raises LeaseLostError when a
    fleet engine's lease is gone (does nothing for an engine started otherwise)."""
    fence = run_fence()
    if fence is not None:
        fence.check(what)


def fenced() -> bool:
    """Whether this engine runs under a fleet lease."""
    return run_fence() is not None


def fence_worker() -> str | None:
    fence = run_fence()
    return fence.worker if fence is not None else None
