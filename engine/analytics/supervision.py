"""One session's supervision, as the Sessions page shows it: the nudges it was sent, whether a
second stall ended it, and the feedback it was given as a retry (engine.execute.supervision,
engine.devin.feedback). Read from the run's timeline and state; nothing is computed in pages."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from engine.core.models import AttemptFeedback, EventKind, RemediationSession, TimelineEvent


class Nudge(BaseModel):
    ts: datetime
    reason: str  # "blocked" or "idle"
    message: str  # what the session was sent


class SessionSupervision(BaseModel):
    nudges: list[Nudge]
    stalled_out_at: datetime | None  # when a second stall terminated it
    feedback: AttemptFeedback | None  # what this retry was told about the attempt before
    stall_minutes: float  # the run's stall minutes for the session's category (0: supervision off)

    @property
    def empty(self) -> bool:
        return not self.nudges and self.stalled_out_at is None and self.feedback is None


def session_supervision(
    session: RemediationSession, events: list[TimelineEvent], stall_minutes: float
) -> SessionSupervision:
    """`events`: this session's events (engine.analytics.tables.session_events)."""
    nudges = [
        Nudge(ts=e.ts, reason=str(e.details.get("reason", "")), message=str(e.details.get("message", "")))
        for e in events
        if e.kind == EventKind.session_nudged
    ]
    stalled = [e.ts for e in events if e.kind == EventKind.session_stalled_out]
    return SessionSupervision(
        nudges=nudges,
        stalled_out_at=stalled[-1] if stalled else None,
        feedback=session.feedback,
        stall_minutes=stall_minutes,
    )
