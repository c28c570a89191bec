"""A job attempt's lease on its run (see engine/fleet/keys.py and engine/runs/fence.py).

Taken with set-if-absent and an expiry before the engine starts, renewed while it lives, and
released when it ends; each step compares the token unique to this attempt, in one Lua script,
so an attempt never renews or releases a lease another attempt holds."""

from __future__ import annotations

import contextlib
import time
import uuid
from dataclasses import dataclass

from redis import Redis
from redis.exceptions import RedisError

from engine.fleet import keys, scripts
from engine.fleet.timing import LEASE_SECONDS

ACQUIRE_RETRY_SECONDS = 0.5


def new_token(worker: str, job_id: str) -> str:
    return f"{worker}/{job_id}/{uuid.uuid4().hex[:12]}"


@dataclass
class Lease:
    redis: Redis
    run_id: str
    token: str
    ttl_seconds: float = LEASE_SECONDS
    confirmed_at: float = 0.0  # time.monotonic() of the last acquire or renewal Redis confirmed

    @property
    def key(self) -> str:
        return keys.lease_key(self.run_id)

    @property
    def _keys(self) -> list[str]:
        return [self.key, keys.holder_key(self.run_id)]

    @property
    def _ms(self) -> int:
        return int(self.ttl_seconds * 1000)

    def acquire(self, holder: dict[str, str], wait_seconds: float = 0.0) -> bool:
        """Takes the lease if nobody holds it, waiting up to `wait_seconds` for a holder's
        lease to expire (a worker that just died still holds one for a few seconds)."""
        script = self.redis.register_script(scripts.ACQUIRE)
        args: list[str | int] = [self.token, self._ms]
        for field, value in holder.items():
            args += [field, value]
        deadline = time.monotonic() + wait_seconds
        while True:
            asked = time.monotonic()
            if script(keys=self._keys, args=args):
                self.confirmed_at = asked
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(ACQUIRE_RETRY_SECONDS)

    def renew(self) -> bool | None:
        """True: renewed. False: lost (expired, or another attempt holds it). None: Redis did
        not answer; the caller decides from `expired_locally` whether it can still be ours."""
        asked = time.monotonic()
        try:
            renewed = self.redis.register_script(scripts.RENEW)(keys=self._keys, args=[self.token, self._ms])
        except RedisError:
            return None
        if renewed:
            self.confirmed_at = asked
        return bool(renewed)

    @property
    def expired_locally(self) -> bool:
        """By this process's monotonic clock the lease has run out since its last confirmation."""
        return time.monotonic() - self.confirmed_at >= self.ttl_seconds

    def set_holder(self, **fields: str) -> None:
        with contextlib.suppress(RedisError):  # for display only
            self.redis.hset(keys.holder_key(self.run_id), mapping=fields)

    def release(self) -> bool:
        try:
            return bool(self.redis.register_script(scripts.RELEASE)(keys=self._keys, args=[self.token]))
        except RedisError:
            return False  # it expires on its own


def lease_holder(redis: Redis, run_id: str) -> dict[str, str] | None:
    """Who holds the run's lease (worker, host, job, engine pid), or None when nobody does."""
    pipe = redis.pipeline()
    pipe.exists(keys.lease_key(run_id))
    pipe.hgetall(keys.holder_key(run_id))
    held, holder = pipe.execute()
    if not held:
        return None
    return {
        k.decode() if isinstance(k, bytes) else k: v.decode() if isinstance(v, bytes) else v
        for k, v in (holder or {}).items()
    }
