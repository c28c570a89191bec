"""Supervising sessions in flight: a stalled session is nudged once, and terminated when it
stalls again.

A session is stalled when it is `blocked` (waiting for input), or when it shows no sign of
activity (a status change, new structured output, a pull request, new ACUs, or the API's
`updated_at` moving, which a new message does) for the run's STALL_MINUTES of agent time (per
category: `stall_minutes_by_category`). Time is the session's in-flight clock
(engine.execute.session_clock), so the wall clock moving never fakes a stall. The first stall
sends one message through POST /v1/sessions/{id}/message with the finding's context and what
is expected; after it the session has the same stretch again to show activity (blocked or not),
and a second stall terminates it as failed, retryable, so its retry carries feedback.

Every call goes through `client_for(session)`: the client of the session's data source, so a
hybrid run (live and simulated sessions side by side) can route each session to its own API."""

from __future__ import annotations

import logging
from collections.abc import Callable

from engine.core.models import (
    BatchRun,
    EventKind,
    Finding,
    RemediationSession,
    SessionStatus,
)
from engine.devin.client import DevinAPIError, DevinClient
from engine.devin.feedback import last_agent_messages
from engine.devin.prompt import STEPS, session_title
from engine.devin.schemas import SessionDetails
from engine.execute.recorder import Recorder
from engine.execute.session_clock import SessionClock
from engine.runs.fence import check_lease

log = logging.getLogger(__name__)

ClientFor = Callable[[RemediationSession], DevinClient]


def nudge_message(finding: Finding, session: RemediationSession, stalled: str) -> str:
    """Our words only: the finding appears through the session title's safe tokens (its full,
    untrusted data is in the session's first message), the step only if it is one of ours."""
    step = session.progress.current_step if session.progress else None
    at = f" You last reported the step {step}." if step in STEPS else ""
    return (
        f"Patchwave supervisor: this session {stalled}.{at} "
        f"Your task is unchanged: {session_title(finding).removeprefix('[Patchwave] ')}; the "
        "finding's full data is in your first message. What is expected now: continue without "
        "waiting for further input, make the smallest change that fixes only this finding, run "
        "the tests, open a pull request, and update the structured output at every step "
        "(current_step, pr_url). If you cannot fix it, set current_step to failed and explain "
        "why in error. This is the only reminder: a session that stalls again is terminated."
    )


class Supervisor:
    def __init__(self, run: BatchRun, rec: Recorder, client_for: ClientFor, clock: SessionClock) -> None:
        self.run = run
        self.rec = rec
        self.client_for = client_for
        self.clock = clock
        self.findings = {f.finding_id: f for f in run.findings}

    def stall_minutes(self, session: RemediationSession) -> float:
        finding = self.findings.get(session.finding_id)
        if finding is None:
            return self.run.config.stall_minutes
        return self.run.config.stall_minutes_for(finding.category)

    def observed(self, session: RemediationSession, details: SessionDetails, changed: bool) -> None:
        """A poll's answer for `session`: activity moves its mark to now."""
        if changed or details.updated_at != session.remote_updated_at:
            self.clock.tick([session])
            session.active_at_seconds = session.in_flight_seconds
            session.remote_updated_at = details.updated_at
            self.rec.mark_dirty()

    def check(self, sessions: list[RemediationSession]) -> list[RemediationSession]:
        """Nudges the sessions stalled for the first time; returns those it terminated (now
        failed), for the engine to end. Call after the session clock's tick."""
        ended = []
        for session in sessions:
            if session.status not in (SessionStatus.working, SessionStatus.blocked, SessionStatus.dispatched):
                continue
            minutes = self.stall_minutes(session)
            if minutes <= 0 or not session.session_id:
                continue
            idle = session.in_flight_seconds - session.active_at_seconds
            limit = minutes * 60 / self.run.config.speed
            blocked = session.status == SessionStatus.blocked
            if session.nudges == 0 and (blocked or idle >= limit):
                self._nudge(session, blocked, minutes)
            elif session.nudges > 0 and idle >= limit:
                self._terminate(session, minutes)
                ended.append(session)
        return ended

    def _nudge(self, session: RemediationSession, blocked: bool, minutes: float) -> None:
        finding = self.findings[session.finding_id]
        stalled = (
            "is blocked, waiting for input"
            if blocked
            else f"has shown no new message or status change for {minutes:g} agent minutes"
        )
        text = nudge_message(finding, session, stalled)
        check_lease(f"nudge {session.session_id}")
        try:
            self.client_for(session).send_message(session.session_id or "", text)
        except DevinAPIError as exc:  # it may have ended meanwhile; the next check tries again
            log.info("nudge %s: %s", session.session_id, exc)
            return
        session.nudges += 1
        session.active_at_seconds = session.in_flight_seconds
        self.rec.event(
            EventKind.session_nudged,
            f"{session.finding_id} attempt {session.attempt} nudged: it {stalled}",
            finding_id=session.finding_id,
            attempt=session.attempt,
            wave_number=session.wave_number,
            session_id=session.session_id,
            details={"reason": "blocked" if blocked else "idle", "stall_minutes": minutes, "message": text},
        )

    def _terminate(self, session: RemediationSession, minutes: float) -> None:
        check_lease(f"terminate {session.session_id}")
        try:
            self.client_for(session).terminate_session(session.session_id or "")
        except DevinAPIError as exc:  # it may have ended on its own meanwhile
            log.info("terminate %s: %s", session.session_id, exc)
        session.status = SessionStatus.failed
        session.error = (
            f"stalled again after a nudge (no new message or status change for {minutes:g} agent "
            "minutes); terminated"
        )
        self.rec.event(
            EventKind.session_stalled_out,
            f"{session.finding_id} attempt {session.attempt} terminated: it stalled again after its nudge",
            finding_id=session.finding_id,
            attempt=session.attempt,
            wave_number=session.wave_number,
            session_id=session.session_id,
            details={"agent_minutes": minutes, "nudges": session.nudges},
        )

    def read_last_messages(self, session: RemediationSession) -> None:
        """An ended attempt that failed: its last messages, kept for its retry's feedback."""
        if not session.session_id or session.status == SessionStatus.success:
            return
        try:
            details = self.client_for(session).get_session(session.session_id)
        except DevinAPIError as exc:  # the retry goes without them
            log.info("messages of %s: %s", session.session_id, exc)
            return
        session.last_messages = last_agent_messages(details)
