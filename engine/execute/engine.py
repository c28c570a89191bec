"""The run loop: for each wave, dispatch up to the pacer's limit (at most `max_parallel_sessions`,
fewer after 429s or with a review backlog: engine.execute.pacing), poll by the wave's tag,
time out, retry, then gate the next wave on the success rate.

Every duration here is measured with time.monotonic() (see engine.core.clock); the wall clock only
stamps what people read. Only this process writes the run's state.json, events.jsonl and
dispatch.jsonl."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable

from engine.alerts import Alert, AlertKind, AlertSender
from engine.core.errors import DamagedFileError, WriteFailedError
from engine.core.models import (
    API_UNAVAILABLE_REASON,
    IN_FLIGHT_SESSION_STATUSES,
    AgentProgress,
    ApiHealth,
    BatchRun,
    EventKind,
    RemediationSession,
    RunStatus,
    SessionStatus,
    Wave,
    WaveStatus,
    utcnow,
)
from engine.devin.client import DevinAPIError, DevinClient
from engine.devin.schemas import SessionDetails
from engine.devin.status import map_status
from engine.execute.breaker import CircuitBreaker, is_transient
from engine.execute.dispatcher import Dispatcher
from engine.execute.ledger_link import LedgerLink
from engine.execute.memory_link import MemoryLink
from engine.execute.pacing import DispatchPacer
from engine.execute.playbook_sync import sync_playbooks
from engine.execute.progress import Progress
from engine.execute.recorder import Recorder
from engine.execute.routing import ApiRoutes
from engine.execute.session_clock import SessionClock, unwatched_seconds
from engine.execute.supervision import Supervisor
from engine.execute.tags import run_tag, wave_tag
from engine.runs.fence import LeaseLostError, check_lease
from engine.runs.paths import RunPaths

log = logging.getLogger(__name__)

MIN_POLL_SECONDS = 0.05
IN_FLIGHT = IN_FLIGHT_SESSION_STATUSES
MAX_SINGLE_GETS_PER_POLL = 25  # sessions the list missed, fetched one by one
PROBE_POLL_FACTOR = 3  # while the API is unavailable, probes come this many poll intervals apart


class FatalAPIError(Exception):
    """The API refuses us as a whole (bad key, no permission): stop rather than retry."""


class RunEngine:
    def __init__(
        self,
        run: BatchRun,
        paths: RunPaths,
        client: DevinClient,
        *,
        stop: threading.Event,
        progress: Progress | None = None,
        state_interval: float = 1.0,
        alerts: AlertSender | None = None,
        simulated: DevinClient | None = None,
    ) -> None:
        """`simulated`: a hybrid run's second API, for its findings outside CONNECTED_REPOS."""
        self.run = run
        self.alerts = alerts
        self.config = run.config
        self.client = client
        self.routes = ApiRoutes(run, client, simulated)
        self.stop = stop
        self.progress = progress
        self.timeout_seconds = self.config.session_timeout_minutes * 60 / self.config.speed
        # Both read before this engine's first snapshot replaces its predecessor's last one.
        self.session_clock = SessionClock()
        self.unwatched = unwatched_seconds(run, bound=self.timeout_seconds)
        self.rec = Recorder(
            run,
            paths,
            state_interval,
            api_calls=lambda: sum(c.requests_sent for _, c in self.routes.clients()),
            api_errors=lambda: sum((c.errors for _, c in self.routes.clients()), Counter()),
            before_write=lambda: self.session_clock.tick(run.sessions),
        )
        self.ledger = (
            LedgerLink(run, paths.root.parent, self.config.ledger) if self.config.ledger is not None else None
        )
        self.memory = MemoryLink(run, paths.root.parent)
        self.dispatcher = Dispatcher(run, self.routes, self.rec, self.ledger, self.memory)
        self.supervisor = Supervisor(run, self.rec, self.client_for, self.session_clock)
        self.pacer = DispatchPacer(run, self.rec, self.routes.rate_limited)
        self.poll_interval = max(MIN_POLL_SECONDS, self.config.poll_interval_seconds / self.config.speed)
        self.probe_interval = self.poll_interval * PROBE_POLL_FACTOR
        self.breaker = CircuitBreaker(
            self.config.breaker_failure_threshold, self.config.breaker_cooldown_seconds / self.config.speed
        )
        self._unavailable_since: float | None = None  # time.monotonic() when the breaker opened
        # Unavailable for longer than this, the run pauses rather than probing on.
        self.horizon_seconds = self.config.api_unavailable_horizon_minutes * 60 / self.config.speed

    def client_for(self, session: RemediationSession) -> DevinClient:
        """The client of the API `session` lives on (a hybrid run has two)."""
        return self.routes.client_for(session)

    # -- the run ------------------------------------------------------------------------------

    def execute(self) -> RunStatus:
        run = self.run
        resumed = run.started_at is not None
        run.status, run.status_reason, run.completed_at = RunStatus.running, None, None
        run.started_at = run.started_at or utcnow()
        run.api_health = ApiHealth()  # this engine's breaker starts closed
        writes_failed = False
        try:
            self.rec.event(
                EventKind.run_resumed if resumed else EventKind.run_started,
                f"Run {'resumed' if resumed else 'started'} ({run.data_source})",
                details={
                    "unwatched_seconds": round(self.unwatched.seconds, 3),
                    "unwatched_measured": "monotonic" if self.unwatched.exact else "wall clock, clamped",
                }
                if resumed
                else {},
            )
            if not run.playbook_ids:
                run.playbook_ids = sync_playbooks(self.client)
            self.dispatcher.reconcile()
            # Sessions in flight when the last engine stopped ran on while nobody watched.
            self.session_clock.resume(run.sessions, self.unwatched.seconds)
            if self.ledger is not None:
                self.ledger.catch_up()
            self.memory.catch_up()
            self.rec.checkpoint()
            for wave in run.waves:
                if wave.status in (WaveStatus.completed, WaveStatus.gated, WaveStatus.skipped):
                    continue
                outcome = self._run_wave(wave)
                if outcome == "stopped":
                    return self._finish_interrupted()
                if outcome == API_UNAVAILABLE_REASON:
                    return self._finish_api_unavailable()
                if outcome == "gated":
                    return self._finish_paused(wave)
            return self._finish_completed()
        except FatalAPIError as exc:
            return self._finish_failed(str(exc))
        except LeaseLostError:
            raise  # another worker runs the run now: recording a failure would write over it
        except WriteFailedError:
            # The storage refuses writes: recording anything more would fail the same way, and
            # the last snapshot on disk (written whole) is a run `resume` continues.
            writes_failed = True
            raise
        except DamagedFileError as exc:  # a shared file (the run index) was damaged meanwhile
            self._finish_interrupted_by(str(exc))
            raise
        except BaseException as exc:
            self._finish_failed(f"internal error: {exc.__class__.__name__}: {exc}")
            raise
        finally:
            self._close(writes_failed)

    def _close(self, writes_failed: bool) -> None:
        if not writes_failed:
            self.rec.close()
            self._flush_ledger()
            self._flush_memory()
            return
        # Closing flushes what the storage refused; the error on its way out says so already.
        with contextlib.suppress(OSError):
            self.rec.close()

    def _flush_ledger(self) -> None:
        if self.ledger is None:
            return
        try:
            self.ledger.flush(force=True)
        except LeaseLostError as exc:  # the successor records them from the state it keeps
            log.warning("%s", exc)
        except Exception:  # the outcomes stay in state.json; resume records them
            log.exception("could not record outcomes in the findings ledger")

    def _flush_memory(self) -> None:
        try:
            self.memory.flush(force=True)
        except LeaseLostError as exc:  # the successor records them from the state it keeps
            log.warning("%s", exc)

    def _run_wave(self, wave: Wave) -> str:
        if wave.status == WaveStatus.pending:
            wave.status, wave.started_at = WaveStatus.running, utcnow()
            self.rec.event(
                EventKind.wave_started,
                f"Wave {wave.number} started ({len(wave.finding_ids)} findings)",
                wave_number=wave.number,
            )
        queue = deque(self.dispatcher.wave_queue(wave))
        while True:
            if self.stop.is_set():
                return "stopped"
            # Each round may create or terminate sessions: a fleet engine that stood still past
            # its lease learns here that another worker has taken the run over.
            check_lease("poll and dispatch")
            if self.breaker.closed:
                self._talk(lambda: self._dispatch_and_poll(wave, queue))
                self.pacer.after_round()
            elif self.breaker.allows_calls():  # half-open: one probe, no dispatch
                self._talk(lambda: self._probe(wave, queue))
                self.pacer.after_round()  # a round without calls tells the pacer nothing
            if self.breaker.closed:  # while the API is away, nothing can be terminated or checked
                self._check_timeouts(wave, queue)
            elif self._unavailable_for() >= self.horizon_seconds:
                return API_UNAVAILABLE_REASON
            if self.ledger is not None:
                self.ledger.flush()
            self.memory.flush()
            if not queue and not any(
                s.status in IN_FLIGHT or s.status == SessionStatus.pending for s in self._sessions_of(wave)
            ):
                break
            if self.progress:
                self.progress.update(self.run, wave)
            self._wait_for_next_poll()
        return self._close_wave(wave)

    # -- talking to the API through the circuit breaker ----------------------------------------

    def _dispatch_and_poll(self, wave: Wave, queue: deque[tuple[str, int]]) -> None:
        active = sum(1 for s in self._sessions_of(wave) if s.status in IN_FLIGHT)
        self.dispatcher.dispatch(queue, self.pacer.limit(queue) - active)
        self._poll(wave, queue)

    def _probe(self, wave: Wave, queue: deque[tuple[str, int]]) -> None:
        """A half-open probe: the wave's poll, or one small list if nothing is in flight."""
        if any(s.session_id and s.status in IN_FLIGHT for s in self._sessions_of(wave)):
            self._poll(wave, queue)
        else:
            self.client.list_sessions(tags=[run_tag(self.run.run_id)], limit=1)

    def _talk(self, action: Callable[[], None]) -> None:
        """Runs `action` and tells the breaker how the API answered. A failed create stays at
        the head of its queue and in-flight sessions stay tracked, so an outage loses nothing."""
        sent = self.client.requests_sent
        try:
            action()
        except DevinAPIError as exc:
            if exc.status in (401, 403):
                raise FatalAPIError(f"the API refused our key: {exc}") from exc
            if not is_transient(exc):  # this request is wrong; the API itself answered
                log.warning("API call failed, will retry: %s", exc)
                return
            log.warning("API call failed (%d in a row), will retry: %s", self.breaker.failures + 1, exc)
            if self.breaker.record_failure():
                self._api_unavailable(exc)
            elif not self.breaker.closed:
                self.run.api_health.last_error = str(exc)
                self.rec.mark_dirty()
            return
        if self.client.requests_sent > sent and self.breaker.record_success():
            self._api_recovered()

    def _api_unavailable(self, exc: DevinAPIError) -> None:
        self._unavailable_since = time.monotonic()
        self.run.api_health = ApiHealth(status="unavailable", since=utcnow(), last_error=str(exc))
        self.rec.event(
            EventKind.api_unavailable,
            f"Agent API unavailable after {self.breaker.failures} failed calls in a row; "
            f"dispatch paused, probing every {self._probe_wait():g} s: {exc}",
            details={
                "consecutive_failures": self.breaker.failures,
                "error": str(exc),
                "status": exc.status,
                "cooldown_seconds": self.breaker.cooldown,
            },
        )
        self.rec.checkpoint()

    def _api_recovered(self) -> None:
        since, self._unavailable_since = self._unavailable_since, None
        down = time.monotonic() - since if since is not None else None
        self.run.api_health = ApiHealth()
        self.rec.event(
            EventKind.api_recovered,
            "Agent API answering again; dispatch resumed"
            + (f" after {down:.0f} s unavailable" if down is not None else ""),
            details={"unavailable_seconds": down},
        )
        self.rec.checkpoint()

    def _unavailable_for(self) -> float:
        """Monotonic seconds since the breaker opened (0 while the API answers)."""
        if self._unavailable_since is None:
            return 0.0
        return time.monotonic() - self._unavailable_since

    def _probe_wait(self) -> float:
        """While the breaker is not closed: probes at the slower pace, and never before the
        cool-down has passed; but no later than the horizon, so the pause comes on time."""
        wait = max(self.probe_interval, self.breaker.cooldown_remaining())
        return min(wait, max(0.0, self.horizon_seconds - self._unavailable_for()))

    def _wait_for_next_poll(self) -> None:
        """Sleeps until the next poll, waking for a due snapshot (so the state and heartbeat
        stay fresh even when polls are 20 s apart) or at once for a stop request."""
        pause = self.poll_interval if self.breaker.closed else self._probe_wait()
        deadline = time.monotonic() + pause
        while True:
            self.rec.save()
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.stop.wait(min(remaining, self.rec.writer.interval)):
                return

    def _close_wave(self, wave: Wave) -> str:
        if self.ledger is not None:
            self.ledger.flush(force=True)  # the wave's outcomes are in the ledger before the next
        self.memory.flush(force=True)  # and the lessons they teach reach the next wave's prompts
        latest = self.dispatcher.latest
        wave.succeeded = sum(
            1 for f in wave.finding_ids if (s := latest.get(f)) and s.status == SessionStatus.success
        )
        wave.failed = len(wave.finding_ids) - wave.succeeded
        wave.completed_at = utcnow()
        rate = wave.success_rate or 0.0
        wave.status = WaveStatus.completed
        self.rec.event(
            EventKind.wave_completed,
            f"Wave {wave.number} completed: {wave.succeeded}/{len(wave.finding_ids)} fixed ({rate:.0%})",
            wave_number=wave.number,
            details={"succeeded": wave.succeeded, "failed": wave.failed, "success_rate": rate},
        )
        if self.progress:
            self.progress.update(self.run, wave)
        # A wave left empty (its findings held back by the ledger) has no rate to gate on.
        gate = wave.success_rate is not None and rate < self.config.min_success_rate
        if gate and self._has_more_waves(wave):
            wave.status = WaveStatus.gated
            self.run.status_reason = (
                f"wave {wave.number} success rate {rate:.0%} is below the "
                f"{self.config.min_success_rate:.0%} gate; resume to continue"
            )
            self.rec.event(
                EventKind.wave_gated,
                f"Wave {wave.number} gated: {self.run.status_reason}",
                wave_number=wave.number,
                details={"success_rate": rate, "min_success_rate": self.config.min_success_rate},
            )
            self._alert(
                AlertKind.wave_gated,
                f"Run {self.run.run_id}: wave {wave.number} gated",
                self.run.status_reason,
            )
            return "gated"
        self.rec.checkpoint(boundary=True)
        return "completed"

    def _has_more_waves(self, wave: Wave) -> bool:
        return any(w.number > wave.number and w.status == WaveStatus.pending for w in self.run.waves)

    # -- polling ------------------------------------------------------------------------------

    def _poll(self, wave: Wave, queue: deque[tuple[str, int]]) -> None:
        in_flight = {
            s.session_id: s for s in self._sessions_of(wave) if s.session_id and s.status in IN_FLIGHT
        }
        if not in_flight:
            return
        started = time.monotonic()
        try:
            seen: set[str] = set()
            for _, client in self.routes.clients():  # one list per API holding sessions
                if not any(self.client_for(s) is client for s in in_flight.values()):
                    continue
                for details in client.iter_sessions(tags=[wave_tag(self.run.run_id, wave.number)]):
                    session = in_flight.get(details.session_id)
                    if session is not None and self.client_for(session) is client:
                        seen.add(details.session_id)
                        self._apply(session, details, queue)
            # A session the list did not return yet (eventual consistency): ask for it directly.
            for session_id in [i for i in in_flight if i not in seen][:MAX_SINGLE_GETS_PER_POLL]:
                session = in_flight[session_id]
                self._apply(session, self.client_for(session).get_session(session_id), queue)
        finally:
            self.run.engine_stats.poll_latency.observe(time.monotonic() - started)

    def _apply(
        self, session: RemediationSession, details: SessionDetails, queue: deque[tuple[str, int]]
    ) -> None:
        status, reason = map_status(details)
        progress = AgentProgress.from_output(details.structured_output)
        # An API that reports no ACU figure (v1) leaves the last one known in place.
        acus = details.acus_consumed if details.acus_consumed is not None else session.acus_consumed
        changed = (
            status != session.status
            or progress != session.progress
            or details.pr_url != session.pull_request_url
            or acus != session.acus_consumed
        )
        self.supervisor.observed(session, details, changed)
        if not changed:
            return
        session.remote_status, session.remote_status_enum = details.status, details.status_enum
        session.progress = progress
        session.pull_request_url = details.pr_url
        session.acus_consumed = acus
        session.updated_at = utcnow()
        if status != session.status:
            session.status = status
            if status.is_terminal:
                session.error = reason if status != SessionStatus.success else None
                self._on_terminal(session, queue)
        self.rec.mark_dirty()

    def _check_timeouts(self, wave: Wave, queue: deque[tuple[str, int]]) -> None:
        sessions = self._sessions_of(wave)
        self.session_clock.tick(sessions)
        for session in sessions:
            if session.status in IN_FLIGHT and session.in_flight_seconds > self.timeout_seconds:
                check_lease(f"terminate {session.session_id}")
                try:
                    self.client_for(session).terminate_session(session.session_id or "")
                except DevinAPIError as exc:  # it may have ended on its own meanwhile
                    log.info("terminate %s: %s", session.session_id, exc)
                session.status = SessionStatus.timeout
                session.error = (
                    f"no result within {self.config.session_timeout_minutes:g} minutes (scaled by speed)"
                )
                self._on_terminal(session, queue)
        for session in self.supervisor.check(sessions):  # nudges; ends those that stalled twice
            self._on_terminal(session, queue)

    def _on_terminal(self, session: RemediationSession, queue: deque[tuple[str, int]]) -> None:
        self.session_clock.stop(session)
        session.completed_at = utcnow()
        if self.ledger is not None:
            self.ledger.ended(session)
        self.memory.ended(session)
        common = {
            "wave_number": session.wave_number,
            "finding_id": session.finding_id,
            "attempt": session.attempt,
            "session_id": session.session_id,
        }
        if session.status == SessionStatus.success:
            self.rec.event(
                EventKind.session_completed,
                f"{session.finding_id} fixed: {session.pull_request_url}",
                details={"pull_request_url": session.pull_request_url},
                **common,
            )
            return
        retry = session.retryable and session.attempt <= self.config.max_retries
        if retry:
            self.supervisor.read_last_messages(session)  # for the retry's feedback
        self.rec.event(
            EventKind.session_failed,
            f"{session.finding_id} attempt {session.attempt} {session.status.value}: "
            f"{session.error}" + ("; retrying" if retry else ""),
            details={"status": session.status.value, "error": session.error, "will_retry": retry},
            **common,
        )
        if retry:
            queue.append((session.finding_id, session.attempt + 1))

    def _alert(self, kind: AlertKind, title: str, text: str) -> None:
        if self.alerts is not None:  # queued: delivery never holds up or fails the run
            self.alerts.send(Alert(kind=kind, title=title, text=text, run_id=self.run.run_id))

    def _sessions_of(self, wave: Wave) -> list[RemediationSession]:
        return [s for s in self.run.sessions if s.wave_number == wave.number]

    # -- endings ------------------------------------------------------------------------------

    def _finish_completed(self) -> RunStatus:
        self.run.status, self.run.completed_at = RunStatus.completed, utcnow()
        t = self.rec.refresh_totals()
        self.rec.event(
            EventKind.run_completed,
            f"Run completed: {t.findings_succeeded} fixed, {t.findings_failed} failed, "
            f"{t.findings_open} open",
            details=t.model_dump(),
        )
        self.rec.checkpoint()
        self._alert(
            AlertKind.run_completed,
            f"Run {self.run.run_id} completed",
            f"{t.findings_succeeded} fixed, {t.findings_failed} failed, {t.findings_open} open; "
            f"{t.pull_requests} pull requests to review.",
        )
        return self.run.status

    def _finish_paused(self, wave: Wave) -> RunStatus:
        self.run.status = RunStatus.paused
        self.rec.checkpoint()
        return self.run.status

    def _finish_interrupted(self) -> RunStatus:
        self.session_clock.tick(self.run.sessions)  # measured up to the stop, then no more
        for session in self.run.sessions:
            if session.status in IN_FLIGHT:
                session.status = SessionStatus.interrupted  # left running remotely
        self.run.status, self.run.status_reason = RunStatus.interrupted, "stopped on request"
        self.rec.event(EventKind.run_interrupted, "Run interrupted; remote sessions keep running")
        self.rec.checkpoint()
        return self.run.status

    def _finish_interrupted_by(self, reason: str) -> None:
        """Stopped by a damaged file: recorded in the run's own files only (the index may be
        what is damaged), so the run shows why it stopped and resumes once that is fixed."""
        for session in self.run.sessions:
            if session.status in IN_FLIGHT:
                session.status = SessionStatus.interrupted  # left running remotely
        self.run.status, self.run.status_reason = RunStatus.interrupted, reason
        try:
            self.rec.event(EventKind.run_interrupted, f"Run interrupted: {reason}")
            self.rec.refresh_totals()
            self.rec.writer.save(self.run, force=True)
        except OSError as exc:
            log.warning("could not record the interruption: %s", exc)

    def _finish_api_unavailable(self) -> RunStatus:
        """The API stayed away past the horizon: pause, leaving the remote sessions running
        (like a stop), so `resume` picks them up once it answers again."""
        down = self._unavailable_for()
        self.session_clock.tick(self.run.sessions)
        left_running = 0
        for session in self.run.sessions:
            if session.status in IN_FLIGHT:
                session.status = SessionStatus.interrupted
                left_running += 1
        self.run.status, self.run.status_reason = RunStatus.paused, API_UNAVAILABLE_REASON
        horizon = self.config.api_unavailable_horizon_minutes
        self.rec.event(
            EventKind.run_paused,
            f"Run paused: the agent API has been unavailable for {down:.0f} s, past the "
            f"{horizon:g}-minute horizon (scaled by speed); {left_running} remote session(s) keep "
            "running; resume continues the run once the API answers",
            details={
                "reason": API_UNAVAILABLE_REASON,
                "unavailable_seconds": round(down, 3),
                "horizon_minutes": horizon,
                "horizon_seconds": round(self.horizon_seconds, 3),
                "last_error": self.run.api_health.last_error,
                "sessions_left_running": left_running,
            },
        )
        self.rec.checkpoint()
        return self.run.status

    def _finish_failed(self, reason: str) -> RunStatus:
        self.run.status, self.run.status_reason = RunStatus.failed, reason
        try:
            self.rec.event(EventKind.run_failed, f"Run failed: {reason}")
            self.rec.checkpoint()
        except Exception:  # never mask the original error
            log.exception("could not record the failure")
        return self.run.status
