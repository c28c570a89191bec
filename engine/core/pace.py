"""How fast a run dispatches right now, and why (engine.execute.pacing keeps it; the Overview,
`status` and the metrics read it from state.json)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

RATE_LIMITED = "rate_limited"  # the API answered 429: the parallel limit was halved
REVIEW_BACKLOG = "review_backlog"  # too many PRs wait for review: one session at a time
SERVICE_REVIEW_BACKLOG = "service_review_backlog"  # a service's PRs wait: its findings go last


class DispatchPace(BaseModel):
    """`parallel_limit` is the additive-increase, multiplicative-decrease limit on sessions in
    flight (at most the run's max_parallel_sessions); `effective_limit` adds the review
    backlog's brake. Counts are the run's own, across every engine that worked on it."""

    max_parallel: int | None = None
    parallel_limit: int | None = None
    effective_limit: int | None = None
    lowest_limit: int | None = None
    slowed_since: datetime | None = None  # when parallel_limit last fell below max_parallel
    rate_limited_answers: int = 0  # 429s the API sent this run (the client's retries included)
    decreases: int = 0
    prs_awaiting_review: int = 0
    review_backlog: bool = False  # prs_awaiting_review is at max_prs_awaiting_review or above
    services_held: list[str] = Field(default_factory=list)  # over their per-service threshold

    @property
    def causes(self) -> list[str]:
        """Why dispatch is slower than the run's settings allow now, most binding first."""
        found = []
        if self.review_backlog:
            found.append(REVIEW_BACKLOG)
        if (self.parallel_limit or 0) < (self.max_parallel or 0):
            found.append(RATE_LIMITED)
        if self.services_held:
            found.append(SERVICE_REVIEW_BACKLOG)
        return found
