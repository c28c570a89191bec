"""The memory as the Memory page and the session detail show it: one row per lesson, with how
often it was used and how those sessions ended, and the lessons one session's prompt carried."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from pydantic import BaseModel

from engine.core.models import EventKind, RemediationSession, TimelineEvent
from engine.memory.models import USE_OUTCOMES, LessonInPrompt, LessonKind, MemoryBook, MemoryItem

MEMORY_COLUMNS = [
    "item_id",
    "status",
    "kind",
    "category",
    "service",
    "language",
    "confidence",
    "evidence",
    "uses",
    "outcomes",
    "lesson",
    "learned_from",
    "updated_at",
]
_SOURCE_WORDS = {
    "session_failed": "failed",
    "pr_approved": "approved",
    "pr_rejected": "rejected",
    "fix_verified": "verified",
    "fix_regressed": "regressed",
}


def outcome_summary(item: MemoryItem) -> str:
    """'3 success · 1 rejected · 1 in flight': the sessions that used it, by outcome."""
    parts = [f"{item.outcomes[o]} {o.replace('_', ' ')}" for o in USE_OUTCOMES if item.outcomes.get(o, 0) > 0]
    return " · ".join(parts) or "—"


def provenance_summary(item: MemoryItem, limit: int = 3) -> str:
    """The newest evidence first: 'approved by rita@acme.com: run first, PW-0017 #1'."""
    parts = []
    for p in reversed(item.provenance[-limit:]):
        who = f" by {p.reviewer}" if p.reviewer else ""
        parts.append(f"{_SOURCE_WORDS[p.source]}{who}: run {p.run_id}, {p.finding_id} #{p.attempt}")
    more = len(item.provenance) - limit
    return "; ".join(parts) + (f"; +{more} more" if more > 0 else "")


def status_of(item: MemoryItem) -> str:
    return "retired" if item.retired is not None else "active"


def memory_table(book: MemoryBook) -> pd.DataFrame:
    """Every lesson: active ones first, then by category, service and confidence."""
    rows = [
        {
            "item_id": i.item_id,
            "status": status_of(i),
            "kind": i.kind.value,
            "category": i.category.value,
            "service": i.service,
            "language": i.language or "",
            "confidence": i.confidence,
            "evidence": i.evidence,
            "uses": i.uses,
            "outcomes": outcome_summary(i),
            "lesson": i.text,
            "learned_from": provenance_summary(i),
            "updated_at": i.updated_at,
        }
        for i in sorted(
            book.items.values(),
            key=lambda i: (i.retired is not None, i.category.value, i.service, -i.confidence, i.item_id),
        )
    ]
    return pd.DataFrame(rows, columns=MEMORY_COLUMNS)


class MemoryCounts(BaseModel):
    active: int
    retired: int
    uses: int
    fixes: int
    pitfalls: int


def memory_counts(book: MemoryBook) -> MemoryCounts:
    items = list(book.items.values())
    active = [i for i in items if i.retired is None]
    return MemoryCounts(
        active=len(active),
        retired=len(items) - len(active),
        uses=sum(i.uses for i in items),
        fixes=sum(1 for i in active if i.kind == LessonKind.fix),
        pitfalls=sum(1 for i in active if i.kind == LessonKind.pitfall),
    )


class SessionLesson(BaseModel):
    """A lesson one session's prompt carried: as the prompt said it, and where it stands now."""

    item_id: str
    kind: str
    text: str
    confidence_then: float | None
    confidence_now: float | None  # None: no longer in the memory (evicted)
    status: str  # active, retired or gone


def session_lessons(
    session: RemediationSession, events: Iterable[TimelineEvent], book: MemoryBook
) -> list[SessionLesson]:
    """The lessons `session`'s prompt carried, in prompt order. The text comes from the
    dispatch event (what the prompt said), else from the memory."""
    said: dict[str, LessonInPrompt] = {}
    for event in events:
        if (
            event.kind == EventKind.session_dispatched
            and (event.finding_id, event.attempt) == session.key
            and isinstance(event.details.get("memory"), list)
        ):
            for raw in event.details["memory"]:
                try:
                    lesson = LessonInPrompt.model_validate(raw)
                except ValueError:
                    continue
                said[lesson.item_id] = lesson
    rows = []
    for item_id in session.memory_ids:
        item, then = book.items.get(item_id), said.get(item_id)
        if item is None and then is None:
            continue
        rows.append(
            SessionLesson(
                item_id=item_id,
                kind=(then.kind if then else item.kind).value,  # type: ignore[union-attr]
                text=then.text if then else item.text,  # type: ignore[union-attr]
                confidence_then=then.confidence if then else None,
                confidence_now=item.confidence if item else None,
                status=status_of(item) if item else "gone",
            )
        )
    return rows
