"""How long each session has been in flight, for its time limit.

The engine adds the monotonic seconds it watched each in-flight session to the session's
`in_flight_seconds`, which every state snapshot carries; a session's time limit is checked
against that figure, so setting the wall clock forward never times sessions out (and
terminates them, at a cost, and retries them), and setting it back never extends them.

While no engine watched (a crash, a stop, a reboot), the remote session kept running, so a
resumed engine adds that time too, measured from the last snapshot (`unwatched_seconds`): on
the same boot exactly, with the monotonic clock every process of that boot shares; across a
reboot or from another host only the wall clock can tell, so its reading is clamped to at
least 0 (a clock set back never extends a session) and at most one session time limit (a
clock set forward, or a long outage, can at most use up what was left: the next poll still
records a session that finished meanwhile before its limit is checked)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from engine.core.clock import ClockMark, Elapsed, elapsed_between
from engine.core.models import IN_FLIGHT_SESSION_STATUSES, BatchRun, RemediationSession


def unwatched_seconds(run: BatchRun, bound: float, now: ClockMark | None = None) -> Elapsed:
    """Seconds since the run's last snapshot (0 before the first): exact on the same boot,
    otherwise the wall-clock gap clamped to [0, bound]."""
    if run.heartbeat_at is None:
        return Elapsed(0.0, exact=True)
    then = ClockMark(run.heartbeat_at.timestamp(), run.heartbeat_monotonic, run.engine_boot_id)
    gap = elapsed_between(then, now or ClockMark.now())
    if gap.exact:
        return gap
    return Elapsed(min(max(0.0, gap.seconds), bound), exact=False)


class SessionClock:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._started = clock()  # when this engine began watching (unwatched_seconds ends here)
        self._since: dict[tuple[str, int], float] = {}  # session key -> when last counted

    def resume(self, sessions: Iterable[RemediationSession], unwatched: float) -> None:
        """A new engine takes over sessions that were in flight: the time nobody watched them
        counts, and this engine measures from the moment it started."""
        for session in sessions:
            if _in_flight(session) and session.key not in self._since:
                session.in_flight_seconds += unwatched
                self._since[session.key] = self._started

    def tick(self, sessions: Iterable[RemediationSession]) -> None:
        """Counts the time since the last tick for every session in flight then, and starts
        counting sessions that are in flight now."""
        now = self.clock()
        for session in sessions:
            since = self._since.pop(session.key, None)
            if since is not None:
                session.in_flight_seconds += max(0.0, now - since)
            if _in_flight(session):
                self._since[session.key] = now

    def stop(self, session: RemediationSession) -> None:
        """The session ended: its last stretch counts, and no more."""
        since = self._since.pop(session.key, None)
        if since is not None:
            session.in_flight_seconds += max(0.0, self.clock() - since)


def _in_flight(session: RemediationSession) -> bool:
    return session.status in IN_FLIGHT_SESSION_STATUSES and session.session_id is not None
