"""What the agent sessions cost: ACUs and dollars per session, per accepted fix, per category
and per service.

A session's ACUs are the figure the API reported (`acus_consumed`: v2/v3 and the simulator
report it as the session runs). Where the API reports none (v1), they are ESTIMATED from the
session's agent time, one ACU per `minutes_per_acu` agent minutes, never above the session's
ACU cap; every estimated figure is marked as such, and a group's figures say how much of them
is estimated. A session that was never created used nothing. Cost is ACUs x `price_per_acu`.

An accepted fix is a session whose pull request a reviewer approved (the decision in force), the
same "fixed" as engine.analytics.outcomes and the ROI figures: a PR awaiting review or rejected
is no fix. Cost per accepted fix divides everything spent on a group (every attempt, failed ones
included) by the accepted fixes it bought, so retries and failures count against the fixes that
did land.

Every figure here is a sum of per-session rows, so per-session ACUs add up to the totals."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime

import pandas as pd
from pydantic import BaseModel, Field

from engine.analytics.acu import DEFAULT_MINUTES_PER_ACU
from engine.core.models import BatchRun, RemediationSession, SessionStatus
from engine.runs.reviews import ReviewDecision, latest_decisions
from engine.runs.timing import session_seconds

DEFAULT_PRICE_PER_ACU = 2.25  # dollars; the `price_per_acu` setting's default
REPORTED = "reported"
ESTIMATED = "estimated"


class SessionCost(BaseModel):
    run_id: str
    finding_id: str
    attempt: int
    category: str
    severity: str
    service: str
    status: str
    acu_limit: int | None
    acus: float
    basis: str  # REPORTED (the API's figure) or ESTIMATED (from agent time)
    cost: float
    accepted_fix: bool

    @property
    def estimated(self) -> bool:
        return self.basis == ESTIMATED


class GroupCost(BaseModel):
    """The sessions of one category, one service, or all of them."""

    key: str
    sessions: int = 0
    acus: float = 0.0
    estimated_acus: float = 0.0  # the part of `acus` that is estimated
    cost: float = 0.0
    accepted_fixes: int = 0

    @property
    def estimated(self) -> bool:
        return self.estimated_acus > 0

    @property
    def cost_per_accepted_fix(self) -> float | None:
        return self.cost / self.accepted_fixes if self.accepted_fixes else None

    @property
    def acus_per_accepted_fix(self) -> float | None:
        return self.acus / self.accepted_fixes if self.accepted_fixes else None


class CostBreakdown(BaseModel):
    price_per_acu: float
    minutes_per_acu: float
    sessions: list[SessionCost] = Field(default_factory=list)
    total: GroupCost
    by_category: list[GroupCost] = Field(default_factory=list)  # most cost first
    by_service: list[GroupCost] = Field(default_factory=list)


def is_accepted_fix(session: RemediationSession, in_force: Mapping[tuple[str, int], ReviewDecision]) -> bool:
    """The session opened a pull request and the review decision in force approved it."""
    decision = in_force.get(session.key)
    return (
        session.status == SessionStatus.success
        and bool(session.pull_request_url)
        and decision is not None
        and decision.decision == "approved"
    )


def _check(minutes_per_acu: float) -> None:
    if minutes_per_acu <= 0:
        raise ValueError(f"minutes_per_acu must be positive, got {minutes_per_acu}")


def session_acus(
    session: RemediationSession,
    speed: float,
    now: datetime,
    minutes_per_acu: float = DEFAULT_MINUTES_PER_ACU,
    default_limit: int | None = None,
) -> tuple[float, str]:
    """(ACUs, basis): the API's figure when it reported one, else an estimate from agent time
    capped at the session's ACU limit (`default_limit`, the run's max_acu_per_session, for a
    session created before limits were recorded); (0, reported) for a session never created."""
    _check(minutes_per_acu)
    if session.acus_consumed is not None:
        return float(session.acus_consumed), REPORTED
    if session.session_id is None:
        return 0.0, REPORTED  # no session was created: nothing used, nothing to estimate
    acus = (session_seconds(session, speed, now) or 0.0) / 60.0 / minutes_per_acu
    limit = session.acu_limit if session.acu_limit is not None else default_limit
    if limit is not None:
        acus = min(acus, float(limit))
    return acus, ESTIMATED


def session_costs(
    run: BatchRun,
    now: datetime,
    price_per_acu: float = DEFAULT_PRICE_PER_ACU,
    minutes_per_acu: float = DEFAULT_MINUTES_PER_ACU,
    decisions: Iterable[ReviewDecision] = (),
) -> list[SessionCost]:
    """One row per session of the run (every attempt), in the run's order; `decisions` are the
    run's review decisions (others' are ignored), which say what an accepted fix is."""
    _check(minutes_per_acu)
    in_force = latest_decisions([d for d in decisions if d.run_id == run.run_id])
    findings = {f.finding_id: f for f in run.findings}
    rows = []
    for session in run.sessions:
        finding = findings.get(session.finding_id)
        acus, basis = session_acus(
            session, run.config.speed, now, minutes_per_acu, run.config.max_acu_per_session
        )
        rows.append(
            SessionCost(
                run_id=run.run_id,
                finding_id=session.finding_id,
                attempt=session.attempt,
                category=finding.category.value if finding else "unknown",
                severity=finding.severity.value if finding else "unknown",
                service=finding.service_name if finding else "unknown",
                status=session.status.value,
                acu_limit=session.acu_limit,
                acus=acus,
                basis=basis,
                cost=acus * price_per_acu,
                accepted_fix=is_accepted_fix(session, in_force),
            )
        )
    return rows


def _add(group: GroupCost, row: SessionCost) -> None:
    group.sessions += 1
    group.acus += row.acus
    group.estimated_acus += row.acus if row.estimated else 0.0
    group.cost += row.cost
    group.accepted_fixes += 1 if row.accepted_fix else 0


def _groups(rows: list[SessionCost], key: str) -> list[GroupCost]:
    groups: dict[str, GroupCost] = defaultdict(lambda: GroupCost(key=""))
    for row in rows:
        name = getattr(row, key)
        group = groups[name]
        group.key = name
        _add(group, row)
    return sorted(groups.values(), key=lambda g: (-g.cost, g.key))


def breakdown(rows: Iterable[SessionCost], price_per_acu: float, minutes_per_acu: float) -> CostBreakdown:
    """Totals and groups of `rows` (sessions of one run or of many)."""
    rows = list(rows)
    total = GroupCost(key="all")
    for row in rows:
        _add(total, row)
    return CostBreakdown(
        price_per_acu=price_per_acu,
        minutes_per_acu=minutes_per_acu,
        sessions=rows,
        total=total,
        by_category=_groups(rows, "category"),
        by_service=_groups(rows, "service"),
    )


def run_cost(
    run: BatchRun,
    now: datetime,
    price_per_acu: float = DEFAULT_PRICE_PER_ACU,
    minutes_per_acu: float = DEFAULT_MINUTES_PER_ACU,
    decisions: Iterable[ReviewDecision] = (),
) -> CostBreakdown:
    rows = session_costs(run, now, price_per_acu, minutes_per_acu, decisions)
    return breakdown(rows, price_per_acu, minutes_per_acu)


def runs_cost(
    runs: Iterable[BatchRun],
    now: datetime,
    price_per_acu: float = DEFAULT_PRICE_PER_ACU,
    minutes_per_acu: float = DEFAULT_MINUTES_PER_ACU,
    decisions: Mapping[str, list[ReviewDecision]] | None = None,
) -> CostBreakdown:
    """Over several runs: their sessions' rows together; `decisions` by run id."""
    reviews = decisions or {}
    rows = [
        row
        for run in runs
        for row in session_costs(run, now, price_per_acu, minutes_per_acu, reviews.get(run.run_id, ()))
    ]
    return breakdown(rows, price_per_acu, minutes_per_acu)


COST_COLUMNS = [
    "key",
    "sessions",
    "acus",
    "estimated_acus",
    "cost",
    "accepted_fixes",
    "acus_per_accepted_fix",
    "cost_per_accepted_fix",
]


def cost_table(groups: list[GroupCost]) -> pd.DataFrame:
    """One row per group, in the given order, with the per-fix figures (None: no accepted fix)."""
    rows = [
        {
            "key": g.key,
            "sessions": g.sessions,
            "acus": g.acus,
            "estimated_acus": g.estimated_acus,
            "cost": g.cost,
            "accepted_fixes": g.accepted_fixes,
            "acus_per_accepted_fix": g.acus_per_accepted_fix,
            "cost_per_accepted_fix": g.cost_per_accepted_fix,
        }
        for g in groups
    ]
    table = pd.DataFrame(rows, columns=COST_COLUMNS)
    for column in ("acus", "estimated_acus", "cost", "acus_per_accepted_fix", "cost_per_accepted_fix"):
        table[column] = table[column].astype(float)
    return table
