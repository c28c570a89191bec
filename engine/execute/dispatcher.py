"""Creating sessions so that none is ever created twice for the same finding and attempt.

Before each create the intent goes to dispatch.jsonl; the create is idempotent and tagged
with a tag unique to (run, finding, attempt); and on start, sessions whose create answer was
lost are found again by listing the run's tag."""

from __future__ import annotations

import logging
import time
from collections import deque

from engine.core.acu_caps import AcuCap, acu_cap_for
from engine.core.agent_overrides import overrides_for
from engine.core.models import (
    BatchRun,
    DataSource,
    EventKind,
    HeldBackFinding,
    RemediationSession,
    SessionStatus,
    Wave,
    utcnow,
)
from engine.devin.client import DevinAPIError
from engine.devin.feedback import feedback_of
from engine.devin.playbooks import load_playbook, playbook_name_for
from engine.devin.prompt import STRUCTURED_OUTPUT_SCHEMA, build_prompt, session_title
from engine.execute.ledger_link import LedgerLink
from engine.execute.memory_link import MemoryLink, lessons_event_details
from engine.execute.recorder import Recorder
from engine.execute.routing import ApiRoutes
from engine.execute.tags import attempt_tag, run_tag, session_tags
from engine.execute.totals import latest_sessions
from engine.runs.journal import replay_journal

log = logging.getLogger(__name__)

# Answers that mean this one request is wrong, not that the API is unwell.
REQUEST_REJECTED = frozenset({400, 404, 409, 413, 422})


def wave_queue(run: BatchRun, wave: Wave, latest: dict[str, RemediationSession]) -> list[tuple[str, int]]:
    """(finding, attempt) pairs `wave` still has to create; `latest`: each finding's latest
    session (engine.execute.totals.latest_sessions)."""
    queue: list[tuple[str, int]] = []
    for fid in wave.finding_ids:
        session = latest.get(fid)
        if session is None:
            queue.append((fid, 1))
        elif session.status == SessionStatus.pending:
            queue.append((fid, session.attempt))
        elif (
            session.status in (SessionStatus.failed, SessionStatus.timeout)
            and session.retryable
            and session.attempt <= run.config.max_retries
        ):
            queue.append((fid, session.attempt + 1))
    return queue


class Dispatcher:
    def __init__(
        self,
        run: BatchRun,
        routes: ApiRoutes,
        rec: Recorder,
        ledger: LedgerLink | None = None,
        memory: MemoryLink | None = None,
    ) -> None:
        self.run = run
        self.routes = routes
        self.rec = rec
        self.ledger = ledger
        self.memory = memory
        self.by_key = {s.key: s for s in run.sessions}
        self.findings = {f.finding_id: f for f in run.findings}
        self.wave_of = {fid: w.number for w in run.waves for fid in w.finding_ids}

    @property
    def latest(self) -> dict[str, RemediationSession]:
        return latest_sessions(self.run)

    def wave_queue(self, wave: Wave) -> list[tuple[str, int]]:
        """(finding, attempt) pairs this wave still has to create."""
        return wave_queue(self.run, wave, self.latest)

    def dispatch(self, queue: deque[tuple[str, int]], capacity: int) -> None:
        if self.ledger is not None and capacity > 0 and queue:
            # The whole queue at once: one ledger write per wave (and per batch of retries). A
            # hybrid run's simulated findings stay out of the ledger: nothing real is spent on them.
            real = [item for item in queue if self._source(item[0]) == self.run.data_source]
            for item, reason in self.ledger.claim(real).items():
                queue.remove(item)
                self._hold_back(*item, reason)
        while capacity > 0 and queue:
            finding_id, attempt = queue[0]
            self._create(finding_id, attempt)  # raises on a transient failure: stays queued
            queue.popleft()
            capacity -= 1

    def _source(self, finding_id: str) -> DataSource:
        finding = self.findings.get(finding_id)
        return self.routes.source_for(finding) if finding is not None else self.run.data_source

    def _create(self, finding_id: str, attempt: int) -> None:
        finding = self.findings[finding_id]
        wave_number = self.wave_of[finding_id]
        run_id = self.run.run_id
        session = self.by_key.get((finding_id, attempt))
        if session is None:
            session = RemediationSession(
                finding_id=finding_id,
                attempt=attempt,
                wave_number=wave_number,
                tag=attempt_tag(run_id, finding_id, attempt),
            )
            self.run.sessions.append(session)
            self.by_key[session.key] = session
        if session.session_id:
            return
        source = self._source(finding_id)
        if self.routes.hybrid:
            session.data_source = source
        if attempt > 1 and session.feedback is None:
            self._attach_feedback(session)
        playbook = load_playbook(finding.category)
        # Playbooks are synced to the run's own API; the prompt carries each one in full anyway.
        if source == self.run.data_source:
            session.playbook_id = self.run.playbook_ids.get(playbook_name_for(finding.category))
        lessons = self.memory.lessons_for(finding, session) if self.memory is not None else []
        cap = self._assign_cap(session)
        self.rec.journal.intent(finding_id, attempt, wave_number, session.tag, session.memory_ids)
        self.rec.mark_dirty()
        started = time.monotonic()
        try:
            created = self.routes.client_of(source).create_session(
                build_prompt(
                    finding,
                    playbook.title,
                    playbook.body,
                    attempt,
                    overrides_for(self.run.config.agent_overrides, finding.service_name),
                    lessons=lessons,
                    feedback=session.feedback,
                ),
                playbook_id=session.playbook_id,
                tags=session_tags(run_id, wave_number, finding_id, attempt),
                title=session_title(finding),
                structured_output_schema=STRUCTURED_OUTPUT_SCHEMA,
                max_acu_limit=cap.max_acu,
                idempotent=True,
            )
        except DevinAPIError as exc:
            self.run.engine_stats.dispatch_latency.observe(time.monotonic() - started)
            if exc.status not in REQUEST_REJECTED:
                raise
            session.status, session.error = SessionStatus.failed, f"create refused: {exc.detail}"
            session.completed_at = utcnow()
            self.rec.event(
                EventKind.session_failed,
                f"{finding_id} attempt {attempt}: the API refused the session ({exc.status}: {exc.detail})",
                finding_id=finding_id,
                attempt=attempt,
                wave_number=wave_number,
                details={"status": "failed", "error": session.error, "will_retry": False},
            )
            session.retryable = False  # the same request would be refused again
            return
        self.run.engine_stats.dispatch_latency.observe(time.monotonic() - started)
        self.rec.journal.created(finding_id, attempt, created.session_id, created.url)
        self._adopt(session, created.session_id, created.url)
        if self.memory is not None:
            self.memory.dispatched(session)
        remembered = f" with {len(lessons)} lesson(s) from memory" if lessons else ""
        self.rec.event(
            EventKind.session_dispatched,
            f"{finding_id} attempt {attempt} dispatched as {created.session_id}{remembered}",
            finding_id=finding_id,
            attempt=attempt,
            wave_number=wave_number,
            session_id=created.session_id,
            details={
                "url": created.url,
                "is_new_session": created.is_new_session,
                "memory": lessons_event_details(lessons),
                "max_acu_limit": cap.max_acu,
                "acu_limit_rule": cap.rule,
            },
        )

    def _assign_cap(self, session: RemediationSession) -> AcuCap:
        """The session's ACU cap from the run's ACU cap table, recorded on the session (a
        resumed run's config is the launch's, so a recreated session gets the same cap)."""
        finding, config = self.findings[session.finding_id], self.run.config
        cap = acu_cap_for(config.acu_caps, finding.category, finding.severity, config.max_acu_per_session)
        session.acu_limit, session.acu_limit_rule = cap.max_acu, cap.rule
        return cap

    def _attach_feedback(self, session: RemediationSession) -> None:
        """The retry learns what the attempt before it did; kept on the session (and written
        with it) before the create, so a re-dispatch sends the same prompt."""
        previous = self.by_key.get((session.finding_id, session.attempt - 1))
        if previous is None:
            return
        session.feedback = feedback_of(previous)
        self.rec.event(
            EventKind.retry_feedback,
            f"{session.finding_id} attempt {session.attempt} is told how attempt {previous.attempt} "
            f"ended ({previous.status.value}: {session.feedback.error or 'no error reported'})",
            finding_id=session.finding_id,
            attempt=session.attempt,
            wave_number=session.wave_number,
            details={"feedback": session.feedback.model_dump()},
        )

    def _hold_back(self, finding_id: str, attempt: int, reason: str) -> None:
        """The ledger refused this session. A first attempt leaves the run (listed with the
        reason); a refused retry ends the finding as failed."""
        wave_number = self.wave_of[finding_id]
        previous = self.by_key.get((finding_id, attempt - 1))
        if previous is not None:
            previous.retryable = False
            previous.error = f"{previous.error or previous.status.value}; retry held back: {reason}"
        else:
            finding = self.findings.pop(finding_id)
            self.run.findings.remove(finding)
            for wave in self.run.waves:
                if finding_id in wave.finding_ids:
                    wave.finding_ids.remove(finding_id)
            self.run.held_back.append(
                HeldBackFinding(finding=finding, reason="ledger", detail=reason, when="dispatch")
            )
        self.rec.event(
            EventKind.finding_held_back,
            f"{finding_id} attempt {attempt} not dispatched: {reason}",
            finding_id=finding_id,
            attempt=attempt,
            wave_number=wave_number,
            details={"reason": reason},
        )

    def _adopt(self, session: RemediationSession, session_id: str, url: str | None) -> None:
        session.session_id, session.url = session_id, url or session.url
        session.status = SessionStatus.dispatched
        session.dispatched_at = session.dispatched_at or utcnow()
        self.rec.mark_dirty()

    def reconcile(self) -> None:
        """Bring the snapshot up to date with the journal and the API after a restart."""
        for key, entry in replay_journal(self.rec.paths.dispatch_journal).items():
            session = self.by_key.get(key)
            if session is None:
                session = RemediationSession(
                    finding_id=entry.finding_id,
                    attempt=entry.attempt,
                    wave_number=entry.wave_number,
                    tag=entry.tag,
                )
                self.run.sessions.append(session)
                self.by_key[key] = session
            if entry.memory_ids and not session.memory_ids:
                session.memory_ids = list(entry.memory_ids)  # the lessons its create carried
            if session.acu_limit is None and session.finding_id in self.findings:
                self._assign_cap(session)  # its create went out, but the state kept no cap
            if entry.session_id and not session.session_id:
                self._adopt(session, entry.session_id, entry.url)
        for session in self.run.sessions:
            if session.status == SessionStatus.interrupted:
                session.status = SessionStatus.dispatched if session.session_id else SessionStatus.pending
        orphans = {
            s.tag: s for s in self.run.sessions if s.status == SessionStatus.pending and not s.session_id
        }
        if not orphans:
            return
        for source, client in self.routes.clients():
            for remote in client.iter_sessions(tags=[run_tag(self.run.run_id)]):
                for tag in remote.tags or []:
                    if (session := orphans.pop(tag, None)) is not None:
                        log.info("adopting %s for %s", remote.session_id, tag)
                        if self.routes.hybrid:
                            session.data_source = source
                        self._adopt(session, remote.session_id, None)
