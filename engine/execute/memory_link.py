"""The run's side of the memory: choosing the lessons each new session's prompt carries, and
telling the memory how sessions ended.

Lessons are chosen once per session, before its intent is journaled (the ids go into the
journal and the state), so a create sent again after a crash carries the same lessons.
The book is read again only when its file changed. Outcomes are written in batches, at most
once a second and at each wave's end, like the ledger's; the memory is advice, so a failed
write is logged and retried with the next batch, never a reason to stop the run."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from engine.core.data_sources import counts_for_real
from engine.core.models import BatchRun, Finding, RemediationSession, SessionStatus, utcnow
from engine.memory import facts_of, ranked_lessons
from engine.memory.learn import record_use as record_lesson_use
from engine.memory.learn import session_ended
from engine.memory.models import LessonInPrompt, MemoryBook
from engine.memory.prompt_section import fitting
from engine.memory.store import MemoryStore, memory_store
from engine.runs.fence import LeaseLostError, check_lease

log = logging.getLogger(__name__)

FLUSH_INTERVAL_SECONDS = 1.0
FLUSH_COST_FACTOR = 4.0  # a large memory file: writes come at most this many write times apart
_ENDED = frozenset({SessionStatus.success, SessionStatus.failed, SessionStatus.timeout})


class MemoryLink:
    def __init__(self, run: BatchRun, runs_dir: Path, store: MemoryStore | None = None) -> None:
        self.run = run
        self.store = store or memory_store(runs_dir)
        self.findings = {f.finding_id: f for f in run.findings}
        self._book = MemoryBook()
        self._version: object = ("never read",)
        self.pending: list[tuple[RemediationSession, str]] = []  # (session, "dispatched" or its status)
        self._flushed_at = 0.0
        self._write_seconds = 0.0

    def _current(self) -> MemoryBook:
        version = self.store.version(self.run.data_source)
        if version != self._version:
            try:
                self._book = self.store.read(self.run.data_source)
                self._version = version
            except Exception as exc:  # a damaged memory file: dispatch on without lessons
                log.warning("memory: not read (%s); sessions get no lessons until it is fixed", exc)
                self._book, self._version = MemoryBook(), version
        return self._book

    def lessons_for(self, finding: Finding, session: RemediationSession) -> list[LessonInPrompt]:
        """The lessons this session's prompt carries; chooses them (and records their ids on
        the session) the first time, keeps to the recorded ones after."""
        book = self._current()
        if session.memory_ids:
            items = [book.items[i] for i in session.memory_ids if i in book.items]
        else:
            items = ranked_lessons(book, finding)
        lessons = fitting(
            [
                LessonInPrompt(item_id=i.item_id, kind=i.kind, text=i.text, confidence=i.confidence)
                for i in items
            ]
        )
        session.memory_ids = [lesson.item_id for lesson in lessons]
        return lessons

    def dispatched(self, session: RemediationSession) -> None:
        if session.memory_ids:
            self.pending.append((session, "dispatched"))

    def ended(self, session: RemediationSession) -> None:
        # A hybrid run's simulated sessions teach nothing: their outcomes are made up.
        if session.status in _ENDED and counts_for_real(self.run, session):
            self.pending.append((session, session.status.value))

    def catch_up(self) -> None:
        """After a restart: outcomes that may not have reached the memory (again is harmless)."""
        self.pending.extend(
            (s, s.status.value)
            for s in self.run.sessions
            if s.status in _ENDED and counts_for_real(self.run, s)
        )
        self.flush(force=True)

    def flush(self, *, force: bool = False) -> None:
        if not self.pending:
            return
        interval = max(FLUSH_INTERVAL_SECONDS, FLUSH_COST_FACTOR * self._write_seconds)
        if not force and time.monotonic() - self._flushed_at < interval:
            return
        self._flushed_at = time.monotonic()
        batch, self.pending = self.pending, []
        now = utcnow()

        written: list[MemoryBook] = []

        def change(book: MemoryBook) -> None:
            written.append(book)
            for session, what in batch:
                finding = self.findings.get(session.finding_id)
                if finding is None:
                    continue
                facts = facts_of(finding, self.run.run_id, session)
                if what == "dispatched":
                    record_lesson_use(book, facts, "in_flight", now)
                else:
                    session_ended(book, facts, what, now)

        try:
            check_lease("record outcomes in the memory")
            self.store.update(self.run.data_source, change)
            self._write_seconds = time.monotonic() - self._flushed_at
            # What was just written is the book to choose from: no need to read it back (a
            # change another writer makes after this moment is read at the next one).
            self._book, self._version = written[-1], self.store.version(self.run.data_source)
        except LeaseLostError:
            raise
        except Exception:
            self.pending = batch + self.pending  # the state has them all; the next flush tries again
            log.exception("memory: outcomes not recorded yet")


def lessons_event_details(lessons: list[LessonInPrompt]) -> list[dict[str, object]]:
    """The lessons as the dispatch event records them, text included: the session detail shows
    what the prompt said even after a lesson left the memory."""
    return [lesson.model_dump(mode="json") for lesson in lessons]
