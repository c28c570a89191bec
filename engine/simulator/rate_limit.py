"""The simulator's rate limit: a token bucket per server, as an API gateway keeps per key.

`rate` requests a second (already scaled by the simulator's speed) refill the bucket up to
`burst`; a request that finds it empty is answered 429 with a Retry-After saying when the next
token is due. So 429s come from bursts above the configured rate, never at random, and an
engine that slows down stops seeing them."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class TokenBucket:
    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        if not rate > 0:
            raise ValueError(f"rate must be above 0 requests a second, got {rate!r}")
        if not isinstance(burst, int) or burst < 1:
            raise ValueError(f"burst must be a whole number of at least 1, got {burst!r}")
        self.rate = float(rate)
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._at = clock()
        self._lock = threading.Lock()
        self.refused = 0

    def take(self) -> float | None:
        """None when the request may go ahead; otherwise the seconds until a token is due."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                return None
            self.refused += 1
            return (1 - self._tokens) / self.rate


def retry_after_header(wait_seconds: float) -> str:
    """Retry-After takes whole seconds (RFC 9110); never 0, which would invite a hot loop."""
    return str(max(1, math.ceil(wait_seconds)))
