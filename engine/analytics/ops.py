"""Operations figures: durations, time to PR, throughput, projected completion, ACU budget."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
from pydantic import BaseModel

from engine.analytics.acu import DEFAULT_MINUTES_PER_ACU
from engine.analytics.cost import run_cost
from engine.analytics.stats import LOW_SAMPLES, MIN_SAMPLES, Stat, percentile, percentile_stat, stat
from engine.core.acu_caps import acu_cap_for
from engine.core.models import BatchRun, SessionStatus, WaveStatus
from engine.execute.totals import finding_outcome, latest_sessions
from engine.runs.timing import session_seconds

__all__ = [
    "LOW_SAMPLES",
    "MIN_SAMPLES",
    "OpsFigures",
    "Stat",
    "ops_figures",
    "percentile",
    "wave_timings",
]

WAVE_COLUMNS = ["wave", "status", "started", "completed", "duration_s", "findings"]


class OpsFigures(BaseModel):
    duration_p50: Stat  # terminal sessions, agent seconds
    duration_p95: Stat
    time_to_pr_p50: Stat  # successful sessions with a PR, dispatch to completion, agent seconds
    time_to_pr_p95: Stat
    throughput_per_hour: Stat  # terminal sessions per agent-clock hour since the run started
    projected_completion: datetime | None  # wall clock; only for an active run
    acu_used: float  # as the API reported them, estimated where it reported none (analytics.cost)
    acu_used_estimated: float  # the part of acu_used that is estimated
    acu_budget: float
    acu_remaining: float
    acu_burn_per_hour: float | None  # ACUs per agent-clock hour since the run started


def elapsed_agent_hours(run: BatchRun, now: datetime, active: bool) -> float | None:
    """Agent-clock hours from the run's start to now (active), else to its end: completed_at,
    or the last session completion, or now."""
    if run.started_at is None:
        return None
    if active:
        end = now
    else:
        ends = [s.completed_at for s in run.sessions if s.completed_at]
        end = run.completed_at or max(ends, default=now)
    seconds = max(0.0, (end - run.started_at).total_seconds()) * run.config.speed
    return seconds / 3600 if seconds > 0 else None


def planned_findings(run: BatchRun) -> set[str]:
    return {f for w in run.waves if w.status != WaveStatus.skipped for f in w.finding_ids}


def projected_completion(
    run: BatchRun, now: datetime, active: bool, throughput: float | None
) -> datetime | None:
    """now + remaining findings / throughput, the agent hours turned into wall time (÷ speed)."""
    if not active or not throughput or throughput <= 0 or run.config.speed <= 0:
        return None
    latest = latest_sessions(run)
    remaining = sum(
        1 for f in planned_findings(run) if finding_outcome(latest.get(f), run.config.max_retries) == "open"
    )
    wall_seconds = remaining / throughput * 3600 / run.config.speed
    return now + timedelta(seconds=wall_seconds)


def ops_figures(
    run: BatchRun, now: datetime, *, active: bool, minutes_per_acu: float = DEFAULT_MINUTES_PER_ACU
) -> OpsFigures:
    """`active`: the run's engine is working on it now (the app's liveness check decides)."""
    speed = run.config.speed
    terminal = [s for s in run.sessions if s.status.is_terminal]
    durations = [session_seconds(s, speed, now) for s in terminal]
    to_pr = [
        session_seconds(s, speed, now)
        for s in terminal
        if s.status == SessionStatus.success and s.pull_request_url and s.completed_at
    ]
    hours = elapsed_agent_hours(run, now, active)
    throughput = stat(len(terminal) / hours if hours else None, len(terminal))
    cost = run_cost(run, now, minutes_per_acu=minutes_per_acu).total
    used = cost.acus
    # Each planned finding's own ACU cap (the run's ACU cap table) for every attempt it may take.
    config, planned = run.config, planned_findings(run)
    caps = sum(
        acu_cap_for(config.acu_caps, f.category, f.severity, config.max_acu_per_session).max_acu
        for f in run.findings
        if f.finding_id in planned
    )
    budget = float(caps * (config.max_retries + 1))
    return OpsFigures(
        duration_p50=percentile_stat(durations, 50),
        duration_p95=percentile_stat(durations, 95),
        time_to_pr_p50=percentile_stat(to_pr, 50),
        time_to_pr_p95=percentile_stat(to_pr, 95),
        throughput_per_hour=throughput,
        projected_completion=projected_completion(run, now, active, throughput.value),
        acu_used=used,
        acu_used_estimated=cost.estimated_acus,
        acu_budget=budget,
        acu_remaining=max(0.0, budget - used),
        acu_burn_per_hour=used / hours if hours else None,
    )


def wave_timings(run: BatchRun, now: datetime) -> pd.DataFrame:
    """One row per wave; duration on the agent clock, to now while the wave has not completed."""
    rows = []
    for wave in sorted(run.waves, key=lambda w: w.number):
        duration = None
        if wave.started_at is not None:
            end = wave.completed_at or now
            duration = max(0.0, (end - wave.started_at).total_seconds()) * run.config.speed
        rows.append(
            {
                "wave": wave.number,
                "status": wave.status.value,
                "started": wave.started_at,
                "completed": wave.completed_at,
                "duration_s": duration,
                "findings": len(wave.finding_ids),
            }
        )
    table = pd.DataFrame(rows, columns=WAVE_COLUMNS)
    table["duration_s"] = table["duration_s"].astype(float)
    return table
