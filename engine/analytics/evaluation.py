"""How well the agent does per finding category: success rate, duration, retries, confidence."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from engine.analytics.stats import mean
from engine.core.models import BatchRun, RemediationSession
from engine.execute.totals import finding_outcome, latest_sessions
from engine.runs.timing import session_seconds

HEALTHY_AT = 0.8  # success rate at or above: healthy
WARNING_AT = 0.6  # at or above (and below HEALTHY_AT): warning; below: critical
MIN_DECIDED = 3  # fewer decided findings in a category: insufficient data

Band = Literal["healthy", "warning", "critical", "insufficient data"]
BAND_ORDER: dict[str, int] = {"critical": 0, "warning": 1, "healthy": 2, "insufficient data": 3}


class CategoryHealth(BaseModel):
    category: str
    findings: int
    passed: int  # findings fixed
    failed: int  # findings failed with no attempts left
    success_rate: float | None  # passed / (passed + failed)
    mean_duration_s: float | None  # terminal sessions (every attempt), agent seconds
    retries: int  # sessions beyond each finding's first attempt
    mean_confidence: float | None  # the agent's own confidence, terminal sessions that gave one
    band: Band


def band_for(passed: int, failed: int) -> Band:
    decided = passed + failed
    if decided < MIN_DECIDED:
        return "insufficient data"
    rate = passed / decided
    if rate >= HEALTHY_AT:
        return "healthy"
    return "warning" if rate >= WARNING_AT else "critical"


def category_health(run: BatchRun, now: datetime) -> list[CategoryHealth]:
    """One row per category with findings; worst band first (critical, warning, healthy,
    insufficient data), then by category name."""
    latest = latest_sessions(run)
    category_of = {f.finding_id: f.category.value for f in run.findings}
    sessions: dict[str, list[RemediationSession]] = defaultdict(list)
    for s in run.sessions:
        if s.finding_id in category_of:
            sessions[category_of[s.finding_id]].append(s)
    outcomes: dict[str, list[str]] = defaultdict(list)
    for f in run.findings:
        outcomes[f.category.value].append(finding_outcome(latest.get(f.finding_id), run.config.max_retries))
    rows = []
    for category, results in outcomes.items():
        terminal = [s for s in sessions[category] if s.status.is_terminal]
        passed, failed = results.count("succeeded"), results.count("failed")
        decided = passed + failed
        rows.append(
            CategoryHealth(
                category=category,
                findings=len(results),
                passed=passed,
                failed=failed,
                success_rate=passed / decided if decided else None,
                mean_duration_s=mean(session_seconds(s, run.config.speed, now) for s in terminal),
                retries=sum(1 for s in sessions[category] if s.attempt > 1),
                mean_confidence=mean(s.progress.confidence for s in terminal if s.progress),
                band=band_for(passed, failed),
            )
        )
    return sorted(rows, key=lambda r: (BAND_ORDER[r.band], r.category))


def critical_categories(rows: list[CategoryHealth]) -> list[str]:
    return [r.category for r in rows if r.band == "critical"]
