"""Adaptive dispatch: how many sessions a run keeps in flight, and in which order it creates them.

- **429s**: additive increase, multiplicative decrease. A round (one dispatch and poll) in
  which the API answered 429, even once and even if the client's retry then got through, halves
  the parallel limit (never below 1); every CLEAN_ROUNDS_PER_STEP rounds without one add 1, up
  to the run's max_parallel_sessions.
- **Review backlog**: while `max_prs_awaiting_review` of the run's pull requests wait for a
  decision, new sessions go out one at a time; a service with
  `max_prs_awaiting_review_per_service` waiting has its findings created after every other
  service's. Slower, never stopped: a run nobody reviews still ends.

Each change of pace is a timeline event, and `run.dispatch_pace` (state.json) says where it
stands, for the Overview, `status` and the metrics."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable
from pathlib import Path

from engine.core.models import BatchRun, EventKind, utcnow
from engine.core.pace import RATE_LIMITED, REVIEW_BACKLOG, SERVICE_REVIEW_BACKLOG, DispatchPace
from engine.execute.recorder import Recorder
from engine.runs.reviews import latest_decisions, read_reviews, reviewable, reviews_path

CLEAN_ROUNDS_PER_STEP = 3


class DispatchPacer:
    def __init__(self, run: BatchRun, rec: Recorder, rate_limited: Callable[[], int]) -> None:
        self.run = run
        self.rec = rec
        self.config = run.config
        self._rate_limited = rate_limited
        self._seen_429s = rate_limited()
        self._clean_rounds = 0
        self._reviews_stamp: tuple[int, int] | None = None
        self._decided: set[tuple[str, int]] = set()
        self.service_of = {f.finding_id: f.service_name for f in run.findings}
        pace = run.dispatch_pace
        top = self.config.max_parallel_sessions
        # A resumed run keeps the limit it had learnt: the API's limits did not reset meanwhile.
        limit = min(pace.parallel_limit or top, top)
        run.dispatch_pace = pace.model_copy(
            update={"max_parallel": top, "parallel_limit": limit, "effective_limit": limit}
        )

    @property
    def pace(self) -> DispatchPace:
        return self.run.dispatch_pace

    # -- before a round's dispatch -----------------------------------------------------------

    def limit(self, queue: deque[tuple[str, int]]) -> int:
        """Sessions allowed in flight this round; puts held services' findings at the back."""
        self._read_backlog()
        pace = self.pace
        if pace.services_held and queue:
            held = set(pace.services_held)
            ordered = sorted(queue, key=lambda item: self.service_of.get(item[0]) in held)  # stable
            queue.clear()
            queue.extend(ordered)
        effective = 1 if pace.review_backlog else (pace.parallel_limit or 1)
        if effective != pace.effective_limit:
            pace.effective_limit = effective
            self.rec.mark_dirty()
        return effective

    def _read_backlog(self) -> None:
        overall = self.config.max_prs_awaiting_review
        per_service = self.config.max_prs_awaiting_review_per_service
        if not overall and not per_service:
            return
        self._refresh_decisions()
        waiting = Counter(
            self.service_of.get(s.finding_id, "")
            for s in self.run.sessions
            if reviewable(s) and s.key not in self._decided
        )
        total = sum(waiting.values())
        pace = self.pace
        over = bool(overall) and total >= overall
        held = sorted(svc for svc, n in waiting.items() if per_service and n >= per_service)
        if total != pace.prs_awaiting_review:
            pace.prs_awaiting_review = total
            self.rec.mark_dirty()
        if over != pace.review_backlog:
            pace.review_backlog = over
            self._event(
                over,
                REVIEW_BACKLOG,
                f"{total} pull requests await review (threshold {overall}): new sessions go out one at a time"
                if over
                else f"{total} pull requests await review, under the threshold of {overall}: "
                "dispatch back to its parallel limit",
                {"prs_awaiting_review": total, "threshold": overall},
            )
        if held != pace.services_held:
            added = sorted(set(held) - set(pace.services_held))
            pace.services_held = held
            self._event(
                bool(added),
                SERVICE_REVIEW_BACKLOG,
                f"{', '.join(added)}: {per_service} or more pull requests await review; its findings go "
                "after every other service's"
                if added
                else "every service is under its review threshold again"
                + (f" (still held: {', '.join(held)})" if held else ""),
                {"services_held": held, "threshold": per_service, "waiting": dict(waiting)},
            )

    def _refresh_decisions(self) -> None:
        """Reads reviews.jsonl (the app appends to it) only when it has changed."""
        path = reviews_path(self.rec.paths)
        stamp = _stamp(path)
        if stamp == self._reviews_stamp:
            return
        self._reviews_stamp = stamp
        self._decided = set(latest_decisions(read_reviews(self.rec.paths)))

    # -- after a round -----------------------------------------------------------------------

    def after_round(self) -> None:
        """Additive increase, multiplicative decrease, from the 429s of the round just done."""
        seen = self._rate_limited()
        new_429s, self._seen_429s = seen - self._seen_429s, seen
        pace = self.pace
        top = pace.max_parallel or 1
        limit = pace.parallel_limit or top
        if new_429s > 0:
            pace.rate_limited_answers += new_429s
            self._clean_rounds = 0
            lowered = max(1, limit // 2)
            self.rec.mark_dirty()
            if lowered == limit:
                return
            pace.parallel_limit, pace.decreases = lowered, pace.decreases + 1
            pace.lowest_limit = min(lowered, pace.lowest_limit or lowered)
            if limit == top:
                pace.slowed_since = utcnow()
            times = "once" if new_429s == 1 else f"{new_429s} times"
            self._event(
                True,
                RATE_LIMITED,
                f"the agent API answered 429 (rate limited) {times}: parallel limit "
                f"{limit} → {lowered} of {top}",
                {"parallel_limit": lowered, "previous_limit": limit, "new_429s": new_429s},
            )
            return
        if limit >= top:
            return
        self._clean_rounds += 1
        if self._clean_rounds < CLEAN_ROUNDS_PER_STEP:
            return
        self._clean_rounds = 0
        pace.parallel_limit = limit + 1
        self.rec.mark_dirty()
        if pace.parallel_limit == top:
            pace.slowed_since = None
            self._event(
                False,
                RATE_LIMITED,
                f"No 429 for a while: parallel limit back to {top}",
                {"parallel_limit": top, "lowest_limit": pace.lowest_limit},
            )

    def _event(self, slowed: bool, cause: str, message: str, details: dict[str, object]) -> None:
        self.rec.event(
            EventKind.dispatch_slowed if slowed else EventKind.dispatch_recovered,
            ("Dispatch slowed: " if slowed else "Dispatch recovered: ") + message,
            details={"cause": cause, **details},
        )


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return (stat.st_mtime_ns, stat.st_size)
