"""Session durations on the agent's clock.

A simulated run at `--speed 50` lives 50 times faster than a real one; its durations are
shown scaled back up, so a demo reports the times a real run would have taken."""

from __future__ import annotations

from datetime import datetime

from engine.core.models import BatchRun, RemediationSession, utcnow


def session_seconds(session: RemediationSession, speed: float, now: datetime | None = None) -> float | None:
    """Dispatch to end (or to `now` while in flight), in agent seconds; None if never dispatched."""
    if session.dispatched_at is None:
        return None
    end = session.completed_at or now or utcnow()
    return max(0.0, (end - session.dispatched_at).total_seconds()) * speed


def agent_seconds(run: BatchRun, now: datetime | None = None) -> float:
    """Agent time spent on the run so far, over all sessions."""
    now = now or utcnow()
    return sum(s for session in run.sessions if (s := session_seconds(session, run.config.speed, now)))
