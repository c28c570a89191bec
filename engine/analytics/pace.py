"""Why a run dispatches slower than its settings allow, in words (engine.execute.pacing keeps
the figures in state.json's dispatch_pace); the Overview and `status` show it."""

from __future__ import annotations

from dataclasses import dataclass

from engine.core.models import BatchRun
from engine.core.pace import RATE_LIMITED, REVIEW_BACKLOG, SERVICE_REVIEW_BACKLOG


@dataclass(frozen=True)
class PaceNotice:
    headline: str
    reasons: list[str]  # one line per cause, most binding first


def pace_notice(run: BatchRun, running: bool) -> PaceNotice | None:
    """While the run works: what slows it now. Once it has ended: whether 429s slowed it at all."""
    pace, config = run.dispatch_pace, run.config
    if not running:
        if not pace.decreases:
            return None
        return PaceNotice(
            "Dispatch slowed during this run",
            [
                f"The agent API answered 429 (rate limited) {_times(pace.rate_limited_answers)}; the "
                f"parallel limit was halved {_times(pace.decreases)}, down to {pace.lowest_limit} "
                f"of {pace.max_parallel}, rising by one after each few rounds without a 429 "
                f"({pace.parallel_limit} when the run stopped dispatching)."
            ],
        )
    causes = pace.causes
    if not causes:
        return None
    lines = []
    for cause in causes:
        if cause == REVIEW_BACKLOG:
            lines.append(
                f"{pace.prs_awaiting_review:,} pull requests await review (threshold "
                f"{config.max_prs_awaiting_review}, the max_prs_awaiting_review setting): new sessions go "
                "out one at a time until decisions come in on the Review page."
            )
        elif cause == RATE_LIMITED:
            lines.append(
                f"The agent API is rate limiting this run ({pace.rate_limited_answers:,} answers of 429 so "
                f"far): up to {pace.parallel_limit} of {pace.max_parallel} sessions in parallel, one more "
                "after each few rounds without a 429."
            )
        elif cause == SERVICE_REVIEW_BACKLOG:
            lines.append(
                f"{', '.join(pace.services_held)}: {config.max_prs_awaiting_review_per_service} or more "
                "pull requests await review (max_prs_awaiting_review_per_service), so their findings go "
                "after every other service's."
            )
    limit = pace.effective_limit or pace.parallel_limit
    return PaceNotice(f"Dispatch is slower: up to {limit} of {pace.max_parallel} sessions in parallel", lines)


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n:,} times"
