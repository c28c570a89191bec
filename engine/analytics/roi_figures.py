"""Return on investment per run and over all runs, from the run index and review decisions.

Savings count accepted fixes only (outcomes.py: a pull request approved by a reviewer); pull
requests awaiting review are shown apart as potential savings, and a rejected one counts for
nothing. Agent cost is ACUs at the configured price: the ACUs the API reported per session
(the simulator reports them too) when there are any, else estimated from agent time (see
engine.analytics.acu). Figures that include simulated runs say so (`simulated_runs`)."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
from pydantic import BaseModel, Field

from engine.analytics.acu import estimate_acus
from engine.analytics.outcomes import indexed_outcomes
from engine.runs.index import IndexEntry
from engine.runs.reviews import ReviewDecision, latest_decisions

SMALL_SAMPLE_FIXES = 10  # below this many accepted fixes, the figures are a small sample
ALL_RUNS = "all runs"
NO_RUNS_STARTED = datetime(1970, 1, 1, tzinfo=UTC)  # `started` of the total over no runs
CUMULATIVE_COLUMNS = [
    "started",
    "run_id",
    "money_saved",
    "agent_cost",
    "net_savings",
    "cumulative_net_savings",
    "cumulative_money_saved",
    "cumulative_agent_cost",
]


class RoiAssumptions(BaseModel):
    hours_per_fix: float = Field(default=3.0, gt=0)  # engineer hours one fix would take by hand
    hourly_rate: float = Field(default=80.0, ge=0)  # loaded engineer cost, dollars per hour
    price_per_acu: float = Field(default=2.25, ge=0)  # dollars
    minutes_per_acu: float = Field(default=15.0, gt=0)  # agent minutes one ACU buys (estimate)


class RoiFigures(BaseModel):
    run_id: str
    started: datetime
    ended: datetime | None = None  # the run's last activity (completion, or last update)
    successful_fixes: int  # accepted fixes: findings whose PR a reviewer approved
    awaiting_review: int = 0  # findings whose PR nobody has decided on: potential, not savings
    hours_saved: float
    money_saved: float
    potential_money_saved: float = 0.0  # if every PR awaiting review were accepted
    acus: float
    acus_estimated: bool = True  # True when derived from agent time, not reported by the API
    agent_cost: float
    net_savings: float
    roi_multiple: float | None  # money_saved / agent_cost; None when the cost is 0
    reviewed: int  # sessions with a decision in force
    approved: int
    acceptance_rate: float | None  # approved / reviewed; None when nothing was reviewed
    runs: int = 1
    simulated_runs: int = 0  # how many of the runs are simulated (their figures are too)

    @property
    def simulated(self) -> bool:
        return self.simulated_runs > 0

    @property
    def small_sample(self) -> bool:
        return self.successful_fixes < SMALL_SAMPLE_FIXES


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def _figures(
    run_id: str,
    started: datetime,
    fixes: int,
    hours_saved: float,
    money_saved: float,
    acus: float,
    agent_cost: float,
    reviewed: int,
    approved: int,
    *,
    ended: datetime | None,
    awaiting_review: int,
    potential_money_saved: float,
    acus_estimated: bool,
    runs: int,
    simulated_runs: int,
) -> RoiFigures:
    return RoiFigures(
        run_id=run_id,
        started=started,
        ended=ended,
        successful_fixes=fixes,
        awaiting_review=awaiting_review,
        hours_saved=hours_saved,
        money_saved=money_saved,
        potential_money_saved=potential_money_saved,
        acus=acus,
        acus_estimated=acus_estimated,
        runs=runs,
        simulated_runs=simulated_runs,
        agent_cost=agent_cost,
        net_savings=money_saved - agent_cost,
        roi_multiple=_ratio(money_saved, agent_cost),
        reviewed=reviewed,
        approved=approved,
        acceptance_rate=_ratio(approved, reviewed),
    )


def run_acus(entry: IndexEntry, minutes_per_acu: float) -> tuple[float, bool]:
    """The run's ACUs and whether any part is estimated: what its sessions reported, plus, for
    sessions that reported none, an estimate from their share of the agent time. A run with no
    reported ACUs at all (or indexed before usage was kept) is estimated whole."""
    if entry.sessions == 0:
        return 0.0, False
    if entry.acus_reported <= 0:
        cap = entry.max_acu_per_session
        return estimate_acus(entry.agent_seconds, entry.sessions, cap, minutes_per_acu), True
    missing = min(entry.sessions_without_usage, entry.sessions)
    if missing == 0:
        return entry.acus_reported, False
    share = entry.agent_seconds * missing / entry.sessions
    extra = estimate_acus(share, missing, entry.max_acu_per_session, minutes_per_acu)
    return entry.acus_reported + extra, True


def run_roi(entry: IndexEntry, decisions: list[ReviewDecision], assumptions: RoiAssumptions) -> RoiFigures:
    """One run's figures; `decisions` are that run's (others' are ignored), each session counted
    once with the decision in force."""
    in_force = list(latest_decisions([d for d in decisions if d.run_id == entry.run_id]).values())
    outcomes = indexed_outcomes(entry, decisions)  # the one vocabulary: fixed = PR approved
    hours = outcomes.fixed * assumptions.hours_per_fix
    acus, estimated = run_acus(entry, assumptions.minutes_per_acu)
    return _figures(
        run_id=entry.run_id,
        started=entry.started_at or entry.created_at,
        ended=entry.completed_at or entry.updated_at,
        fixes=outcomes.fixed,
        awaiting_review=outcomes.awaiting_review,
        hours_saved=hours,
        money_saved=hours * assumptions.hourly_rate,
        potential_money_saved=outcomes.awaiting_review * assumptions.hours_per_fix * assumptions.hourly_rate,
        acus=acus,
        acus_estimated=estimated,
        agent_cost=acus * assumptions.price_per_acu,
        reviewed=len(in_force),
        approved=sum(1 for d in in_force if d.decision == "approved"),
        runs=1,
        simulated_runs=int(entry.data_source != "live"),  # a hybrid run holds simulated sessions too
    )


def total_roi(figures: list[RoiFigures]) -> RoiFigures:
    """Sums over runs, ratios recomputed from the sums; `started` is the earliest run's (the
    Unix epoch when there are no runs)."""
    return _figures(
        run_id=ALL_RUNS,
        started=min((f.started for f in figures), default=NO_RUNS_STARTED),
        fixes=sum(f.successful_fixes for f in figures),
        hours_saved=sum(f.hours_saved for f in figures),
        money_saved=sum(f.money_saved for f in figures),
        acus=sum(f.acus for f in figures),
        agent_cost=sum(f.agent_cost for f in figures),
        reviewed=sum(f.reviewed for f in figures),
        approved=sum(f.approved for f in figures),
        ended=max((f.ended or f.started for f in figures), default=None),
        awaiting_review=sum(f.awaiting_review for f in figures),
        potential_money_saved=sum(f.potential_money_saved for f in figures),
        acus_estimated=any(f.acus_estimated for f in figures),
        runs=sum(f.runs for f in figures),
        simulated_runs=sum(f.simulated_runs for f in figures),
    )


def cumulative_roi(figures: list[RoiFigures]) -> pd.DataFrame:
    """Per run in order of start, with running totals."""
    ordered = sorted(figures, key=lambda f: (f.started, f.run_id))
    table = pd.DataFrame(
        [
            {
                "started": f.started,
                "run_id": f.run_id,
                "money_saved": float(f.money_saved),
                "agent_cost": float(f.agent_cost),
                "net_savings": float(f.net_savings),
            }
            for f in ordered
        ],
        columns=CUMULATIVE_COLUMNS[:5],
    )
    for column in ("money_saved", "agent_cost", "net_savings"):
        table[column] = table[column].astype(float)
        table[f"cumulative_{column}"] = table[column].cumsum()
    return table[CUMULATIVE_COLUMNS]
