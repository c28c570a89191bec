"""A circuit breaker for the agent API: closed -> open -> half-open -> closed.

Closed: calls go out; `failure_threshold` transient failures in a row open it. Open: no call
goes out until `cooldown` seconds have passed; then it is half-open and lets probes through.
A probe that succeeds closes it; one that fails opens it again for another cool-down.

Only transient failures count (no answer, 5xx, or 429 once the client's own retries are
spent): a 4xx says this request is wrong, not that the API is unwell."""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum

from engine.devin.client import DevinAPIError


class BreakerState(StrEnum):
    closed = "closed"
    open = "open"
    half_open = "half_open"


def is_transient(exc: DevinAPIError) -> bool:
    return exc.status is None or exc.status >= 500 or exc.status == 429


class CircuitBreaker:
    def __init__(
        self, failure_threshold: int, cooldown: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if cooldown < 0:
            raise ValueError("cooldown must not be negative")
        self.failure_threshold = failure_threshold
        self.cooldown = cooldown
        self.clock = clock
        self.failures = 0  # transient failures in a row
        self._opened_at: float | None = None

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.closed
        if self.clock() - self._opened_at >= self.cooldown:
            return BreakerState.half_open
        return BreakerState.open

    @property
    def closed(self) -> bool:
        return self._opened_at is None

    def allows_calls(self) -> bool:
        """Closed, or half-open (a probe may go out)."""
        return self.state != BreakerState.open

    def cooldown_remaining(self) -> float:
        if self._opened_at is None:
            return 0.0
        return max(0.0, self._opened_at + self.cooldown - self.clock())

    def record_success(self) -> bool:
        """The API answered. True when this closes a breaker that was not closed."""
        was_open = self._opened_at is not None
        self.failures = 0
        self._opened_at = None
        return was_open

    def record_failure(self) -> bool:
        """A transient failure. True when this opens a breaker that was closed; a failed
        half-open probe opens it again (a new cool-down) and returns False."""
        self.failures += 1
        if self._opened_at is not None:
            self._opened_at = self.clock()
            return False
        if self.failures >= self.failure_threshold:
            self._opened_at = self.clock()
            return True
        return False
