"""The findings and sessions tables, their filters, and one session's detail."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime

import pandas as pd
from pydantic import BaseModel

from engine.analytics.acu import DEFAULT_MINUTES_PER_ACU
from engine.analytics.cost import DEFAULT_PRICE_PER_ACU, session_acus
from engine.analytics.ordering import in_priority_order, ranks
from engine.analytics.outcomes import OUTCOME_LABELS, finding_outcomes
from engine.analytics.overview import TimelineItem, event_item
from engine.analytics.supervision import SessionSupervision, session_supervision
from engine.core.data_sources import session_source
from engine.core.models import BatchRun, Finding, RemediationSession, TimelineEvent
from engine.execute.totals import latest_sessions
from engine.runs.reviews import ReviewDecision, reviewable
from engine.runs.timing import session_seconds

NOT_DISPATCHED = "not dispatched"
FINDINGS_COLUMNS = [
    "rank",
    "finding_id",
    "severity",
    "category",
    "service",
    "score",
    "score_parts",
    "title",
    "status",
    "session_status",
    "attempts",
    "session_id",
    "session_url",
    "pull_request_url",
    "review",
]
SESSIONS_COLUMNS = [
    "finding_id",
    "attempt",
    "service",
    "status",
    "started",
    "duration_s",
    "acu_limit",
    "acus",
    "acus_basis",
    "cost",
    "pull_request_url",
    "session_url",
    "session_id",
    "data_source",
]


def score_parts(finding: Finding) -> str:
    """The parts of the score the run was ordered by, e.g. "service 26.2 + severity 30 + SLA 0.1 +
    fix rate 5 + recurrence 0 + objectives 0"; "" when not scored."""
    return finding.priority.explain() if finding.priority is not None else ""


def score_of(finding: Finding) -> float | None:
    return finding.priority.total if finding.priority is not None else None


HELD_BACK_COLUMNS = ["finding_id", "severity", "service", "title", "reason", "detail", "when"]


def held_back_table(run: BatchRun) -> pd.DataFrame:
    """The upload's findings this run does not work on, with the reason (ledger plan or claim)."""
    return pd.DataFrame(
        [
            {
                "finding_id": h.finding.finding_id,
                "severity": h.finding.severity.value,
                "service": h.finding.service_name,
                "title": h.finding.title,
                "reason": h.reason.replace("_", " "),
                "detail": h.detail,
                "when": "at plan time" if h.when == "planned" else "at dispatch",
            }
            for h in run.held_back
        ],
        columns=HELD_BACK_COLUMNS,
    )


def review_state(
    session: RemediationSession | None, decisions: Mapping[tuple[str, int], ReviewDecision]
) -> str:
    """ "approved", "rejected", "pending" (a PR awaits a decision) or "" (nothing to review)."""
    if session is None or not reviewable(session):
        return ""
    decision = decisions.get(session.key)
    return decision.decision if decision else "pending"


def findings_table(
    run: BatchRun,
    decisions: Mapping[tuple[str, int], ReviewDecision],
    merged_pull_requests: Collection[str] = (),
) -> pd.DataFrame:
    """One row per finding in priority order, with its latest session. `status` is the finding's
    outcome in words (outcomes.py: a rejected PR is "Failed", never a fix); `session_status`
    the latest session's own status."""
    latest = latest_sessions(run)
    outcomes = finding_outcomes(run, decisions, merged_pull_requests)
    attempts = Counter(s.finding_id for s in run.sessions)
    rank = ranks(run.findings)
    rows = []
    for f in in_priority_order(run.findings):
        s = latest.get(f.finding_id)
        rows.append(
            {
                "rank": rank[f.finding_id],
                "finding_id": f.finding_id,
                "severity": f.severity.value,
                "category": f.category.value,
                "service": f.service_name,
                "score": score_of(f),
                "score_parts": score_parts(f),
                "title": f.title,
                "status": OUTCOME_LABELS[outcomes[f.finding_id]],
                "session_status": s.status.value if s else NOT_DISPATCHED,
                "attempts": attempts[f.finding_id],
                "session_id": s.session_id if s else None,
                "session_url": s.url if s else None,
                "pull_request_url": s.pull_request_url if s else None,
                "review": review_state(s, decisions),
            }
        )
    return pd.DataFrame(rows, columns=FINDINGS_COLUMNS)


def _chosen(values: Iterable[str] | None) -> list[str] | None:
    chosen = [str(v) for v in values] if values is not None else []
    return chosen or None


def filter_findings(
    table: pd.DataFrame,
    severities: Iterable[str] | None = None,
    categories: Iterable[str] | None = None,
    services: Iterable[str] | None = None,
    statuses: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Rows matching every given filter; a filter that is None or empty lets everything through."""
    mask = pd.Series(True, index=table.index)
    for column, values in (
        ("severity", severities),
        ("category", categories),
        ("service", services),
        ("status", statuses),
    ):
        chosen = _chosen(values)
        if chosen is not None:
            mask &= table[column].isin(chosen)
    return table[mask].reset_index(drop=True)


def sessions_table(
    run: BatchRun,
    now: datetime,
    price_per_acu: float = DEFAULT_PRICE_PER_ACU,
    minutes_per_acu: float = DEFAULT_MINUTES_PER_ACU,
) -> pd.DataFrame:
    """One row per session (every attempt), newest dispatch first; not yet dispatched sessions
    sort by the time their intent was recorded. `acus` is what the API reported, or an estimate
    from agent time (`acus_basis` says which, see engine.analytics.cost); `cost` = acus x price."""
    services = {f.finding_id: f.service_name for f in run.findings}
    ordered = sorted(
        run.sessions,
        key=lambda s: (s.dispatched_at or s.intent_at, s.finding_id, s.attempt),
        reverse=True,
    )
    rows = []
    for s in ordered:
        acus, basis = session_acus(s, run.config.speed, now, minutes_per_acu, run.config.max_acu_per_session)
        rows.append(
            {
                "finding_id": s.finding_id,
                "attempt": s.attempt,
                "service": services.get(s.finding_id, ""),
                "status": s.status.value,
                "started": s.dispatched_at,
                "duration_s": session_seconds(s, run.config.speed, now),
                "acu_limit": s.acu_limit,
                "acus": acus,
                "acus_basis": basis,
                "cost": acus * price_per_acu,
                "pull_request_url": s.pull_request_url,
                "session_url": s.url,
                "session_id": s.session_id,
                "data_source": session_source(run, s),  # a hybrid run has both
            }
        )
    table = pd.DataFrame(rows, columns=SESSIONS_COLUMNS)
    for column in ("duration_s", "acus", "cost"):
        table[column] = table[column].astype(float)
    table["acu_limit"] = table["acu_limit"].astype("Int64")
    return table


class SessionDetail(BaseModel):
    finding: Finding
    session: RemediationSession
    duration_s: float | None
    created_at: datetime | None  # when the API created the session (dispatched_at)
    completed_at: datetime | None
    current_step: str | None
    progress_pct: float | None
    fix_approach: str | None
    files_modified: list[str]
    tests_passed: bool | None
    tests_added: int | None
    confidence: float | None
    events: list[TimelineItem]  # this session's engine events, oldest first
    supervision: SessionSupervision  # its nudges, and the feedback it was given as a retry
    acus: float = 0.0  # as in sessions_table: reported, or estimated (acus_basis)
    acus_basis: str = "reported"
    cost: float = 0.0


def session_events(events: list[TimelineEvent], session: RemediationSession) -> list[TimelineEvent]:
    """Events naming this finding and attempt, or (without an attempt) this session's id."""

    def mine(e: TimelineEvent) -> bool:
        if e.finding_id != session.finding_id:
            return False
        if e.attempt is not None:
            return e.attempt == session.attempt
        return session.session_id is not None and e.session_id == session.session_id

    return sorted((e for e in events if mine(e)), key=lambda e: e.ts)


def session_detail(
    run: BatchRun,
    events: list[TimelineEvent],
    finding_id: str,
    attempt: int,
    now: datetime,
    price_per_acu: float = DEFAULT_PRICE_PER_ACU,
    minutes_per_acu: float = DEFAULT_MINUTES_PER_ACU,
) -> SessionDetail | None:
    """None when the run has no such finding or attempt."""
    finding = next((f for f in run.findings if f.finding_id == finding_id), None)
    session = next((s for s in run.sessions if s.key == (finding_id, attempt)), None)
    if finding is None or session is None:
        return None
    p = session.progress
    mine = session_events(events, session)
    config = run.config
    acus, basis = session_acus(session, config.speed, now, minutes_per_acu, config.max_acu_per_session)
    return SessionDetail(
        finding=finding,
        session=session,
        duration_s=session_seconds(session, run.config.speed, now),
        created_at=session.dispatched_at,
        completed_at=session.completed_at,
        current_step=p.current_step if p else None,
        progress_pct=p.progress_pct if p else None,
        fix_approach=p.fix_approach if p else None,
        files_modified=list(p.files_modified) if p else [],
        tests_passed=p.tests_passed if p else None,
        tests_added=p.tests_added if p else None,
        confidence=p.confidence if p else None,
        events=[event_item(e) for e in mine],
        supervision=session_supervision(session, mine, run.config.stall_minutes_for(finding.category)),
        acus=acus,
        acus_basis=basis,
        cost=acus * price_per_acu,
    )
