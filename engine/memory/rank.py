"""Which lessons a new session's prompt carries: the few highest-ranked for its finding.

A lesson qualifies when it is about the finding's category, in the finding's service or (when
both say) its language, is not retired and is trusted enough (`MIN_CONFIDENCE`). Its rank is
its confidence, plus a bonus for the same service and for the same language: a lesson from
this very service beats an equally trusted one from another service in the same language."""

from __future__ import annotations

from engine.core.models import Finding
from engine.memory.models import MemoryBook, MemoryItem

MAX_PROMPT_LESSONS = 3
MIN_CONFIDENCE = 0.2
SAME_SERVICE_BONUS = 0.2
SAME_LANGUAGE_BONUS = 0.1


def _language(finding: Finding) -> str | None:
    return (finding.language or "").strip().lower() or None


def rank_score(item: MemoryItem, finding: Finding) -> float | None:
    """The lesson's rank for this finding; None when it does not qualify."""
    if item.retired is not None or item.category != finding.category or item.confidence < MIN_CONFIDENCE:
        return None
    same_service = item.service == finding.service_name
    language = _language(finding)
    same_language = language is not None and item.language == language
    if not (same_service or same_language):
        return None
    return item.confidence + SAME_SERVICE_BONUS * same_service + SAME_LANGUAGE_BONUS * same_language


def ranked_lessons(book: MemoryBook, finding: Finding, limit: int = MAX_PROMPT_LESSONS) -> list[MemoryItem]:
    """The `limit` best lessons for `finding`, best first. Ties go to more evidence, then the
    most recently updated, then the id, so the choice is the same every time for one book."""
    scored = [
        (score, item) for item in book.items.values() if (score := rank_score(item, finding)) is not None
    ]
    scored.sort(
        key=lambda pair: (-pair[0], -pair[1].evidence, -pair[1].updated_at.timestamp(), pair[1].item_id)
    )
    return [item for _, item in scored[:limit]]
