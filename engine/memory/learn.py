"""Learning: how each outcome changes the memory. Pure functions on a `MemoryBook`; the caller
holds the store's lock (engine.memory.store.update_memory).

- A session that failed or timed out teaches a pitfall (its error, and its approach if any).
- An approved pull request teaches a fix (the agent's approach, files and tests).
- A rejected pull request lowers the fix it taught, if it was approved before, and teaches a
  pitfall with the reviewer's reason.
- A verified fix (merged, then absent from a later scan) teaches or strengthens its fix.
- A regressed fix (merged, then seen again) lowers its fix and teaches a pitfall.
- Sessions whose prompt carried a lesson are counted on it with their outcome; a rejected one
  lowers the lesson a little, an approved one raises it a little.

Everything is idempotent: learning the same outcome of the same session twice (an engine
resumed after a crash, a reviewer clicking twice) changes nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel, Field

from engine.core.errors import BadInputError
from engine.core.models import FindingCategory
from engine.devin.untrusted import neutralise_markers
from engine.memory.models import (
    LessonKind,
    LessonSource,
    LessonUse,
    MemoryBook,
    MemoryItem,
    Provenance,
    Retirement,
    UseOutcome,
)

# Bounds: the store, each item and each lesson's text stay small whatever the runs do.
MAX_ITEMS_PER_KEY = 12  # lessons per (category, service, language)
MAX_ITEMS = 1000  # at most a few MB on disk (benchmarks/bench_memory.py)
MAX_PROVENANCE = 8
# The uses remembered one by one, so that recording a session's outcome again (an engine
# resumed after a crash) does not count it twice; older uses stay counted in `outcomes`.
MAX_RECENT_USES = 20
LESSON_MAX_CHARS = 400
_PART_MAX_CHARS = 200

# Confidence: where a lesson starts, and how outcomes move it.
START_CONFIDENCE: dict[LessonSource, float] = {
    "pr_approved": 0.6,
    "fix_verified": 0.8,
    "session_failed": 0.4,
    "pr_rejected": 0.5,
    "fix_regressed": 0.5,
}
REINFORCE = 0.1  # the same lesson learned again from another session
# A failure says less than a review: the same error again (often the same finding's retries, or
# a limit every session of a service hits) adds less, and never lifts a pitfall past a fix.
FAILURE_REINFORCE = 0.05
MAX_FAILURE_CONFIDENCE = 0.55
VERIFIED_BOOST = 0.2
OWN_FIX_PENALTY = 0.35  # the fix the lesson describes was rejected or did not hold
USED_REJECTED_PENALTY = 0.1  # a session that used the lesson had its fix rejected
USED_APPROVED_BOOST = 0.05
MAX_CONFIDENCE = 0.95


class SessionFacts(BaseModel):
    """What learning needs to know about one session (built from a run's state)."""

    run_id: str
    finding_id: str
    attempt: int
    category: FindingCategory
    service: str
    language: str | None = None
    session_id: str | None = None
    pr_url: str | None = None
    error: str | None = None
    fix_approach: str | None = None
    files_modified: list[str] = Field(default_factory=list)
    tests_run: list[str] = Field(default_factory=list)
    memory_ids: list[str] = Field(default_factory=list)  # the lessons its prompt carried


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _sentence(text: str, limit: int) -> str:
    """`text` clipped, ending in one full stop (or the ellipsis of a clipped text)."""
    clipped = _clip(text, limit).rstrip(" .")
    return clipped if clipped.endswith("…") else clipped + "."


def _listed(values: Iterable[str], limit: int = 5) -> str:
    values = [v for v in values if v]
    shown = ", ".join(values[:limit])
    return shown + (f" (+{len(values) - limit} more)" if len(values) > limit else "")


def fix_text(facts: SessionFacts) -> str | None:
    """The fix a session made, in one bounded line; None when it reported nothing to learn."""
    parts = []
    if facts.fix_approach:
        parts.append(f"Fixed by: {_sentence(facts.fix_approach, _PART_MAX_CHARS)}")
    if facts.files_modified:
        parts.append(f"Files changed: {_sentence(_listed(facts.files_modified), 120)}")
    if facts.tests_run:
        parts.append(f"Tests run: {_sentence(_listed(facts.tests_run, 3), 100)}")
    return _lesson(" ".join(parts)) if parts else None


def _approach(facts: SessionFacts) -> str:
    return (
        f" Its approach was: {_sentence(facts.fix_approach, _PART_MAX_CHARS)}" if facts.fix_approach else ""
    )


def failure_text(facts: SessionFacts, status: str) -> str:
    why = _sentence(facts.error or "no reason reported", _PART_MAX_CHARS)
    return _lesson(f"An attempt {status} without a fix: {why}{_approach(facts)}")


def rejection_text(facts: SessionFacts, reason: str | None) -> str:
    why = _sentence(reason or "no reason given", _PART_MAX_CHARS)
    return _lesson(f"A pull request was rejected in review: {why}{_approach(facts)}")


def regression_text(facts: SessionFacts) -> str:
    return _lesson(f"A merged fix did not hold: the finding came back in a later scan.{_approach(facts)}")


def _lesson(text: str) -> str:
    # Lesson text is agent output and reviewer words: nothing in it may read as a prompt marker.
    return _clip(neutralise_markers(text), LESSON_MAX_CHARS)


def item_id_of(kind: LessonKind, category: str, service: str, language: str | None, text: str) -> str:
    normal = " ".join(text.lower().split())
    raw = "\x1f".join([kind.value, category, service.lower(), language or "", normal])
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _language(value: str | None) -> str | None:
    return value.strip().lower() or None if value else None


def learn(
    book: MemoryBook,
    kind: LessonKind,
    facts: SessionFacts,
    text: str,
    source: LessonSource,
    now: datetime,
    reviewer: str | None = None,
) -> MemoryItem:
    """Adds the lesson, or strengthens it when it is known already (not twice for one session
    and source). The oldest, least trusted lessons of a full key make room."""
    language = _language(facts.language)
    item_id = item_id_of(kind, facts.category.value, facts.service, language, text)
    evidence = Provenance(
        source=source,
        run_id=facts.run_id,
        finding_id=facts.finding_id,
        attempt=facts.attempt,
        session_id=facts.session_id,
        pr_url=facts.pr_url,
        reviewer=reviewer,
        at=now,
    )
    item = book.items.get(item_id)
    if item is None:
        _make_room(book, (facts.category.value, facts.service, language))
        item = MemoryItem(
            item_id=item_id,
            kind=kind,
            category=facts.category,
            service=facts.service,
            language=language,
            text=text,
            confidence=START_CONFIDENCE[source],
            created_at=now,
            updated_at=now,
            provenance=[evidence],
        )
        book.items[item_id] = item
        return item
    if any(p.key == evidence.key for p in item.provenance):
        return item  # this session's outcome is known already
    item.evidence += 1
    if source == "session_failed":
        ceiling = max(item.confidence, MAX_FAILURE_CONFIDENCE)
        _move(item, min(FAILURE_REINFORCE, ceiling - item.confidence), now)
    else:
        _move(item, VERIFIED_BOOST if source == "fix_verified" else REINFORCE, now)
    item.provenance = [*item.provenance, evidence][-MAX_PROVENANCE:]
    return item


def _move(item: MemoryItem, delta: float, now: datetime) -> None:
    item.confidence = round(min(MAX_CONFIDENCE, max(0.0, item.confidence + delta)), 4)
    item.updated_at = now


def _eviction_order(item: MemoryItem) -> tuple[bool, float, datetime]:
    return (item.retired is None, item.confidence, item.updated_at)  # retired, weak, old first


def _make_room(book: MemoryBook, key: tuple[str, str, str | None]) -> None:
    same_key = [i for i in book.items.values() if i.key == key]
    for item in sorted(same_key, key=_eviction_order)[: max(0, len(same_key) - MAX_ITEMS_PER_KEY + 1)]:
        del book.items[item.item_id]
    if len(book.items) >= MAX_ITEMS:
        for item in sorted(book.items.values(), key=_eviction_order)[: len(book.items) - MAX_ITEMS + 1]:
            del book.items[item.item_id]


def _fixes_taught_by(book: MemoryBook, facts: SessionFacts) -> list[MemoryItem]:
    """The fix lessons this very session taught (its approval or its verification)."""
    return [
        item
        for item in book.items.values()
        if item.kind == LessonKind.fix
        and any(
            p.run_id == facts.run_id
            and p.finding_id == facts.finding_id
            and p.attempt == facts.attempt
            and p.source in ("pr_approved", "fix_verified")
            for p in item.provenance
        )
    ]


def _fixes_of_pr(book: MemoryBook, pr_url: str) -> list[MemoryItem]:
    return [
        item
        for item in book.items.values()
        if item.kind == LessonKind.fix and any(p.pr_url == pr_url for p in item.provenance)
    ]


def _lower(items: list[MemoryItem], facts: SessionFacts, source: LessonSource, now: datetime) -> None:
    for item in items:
        marker = Provenance(
            source=source,
            run_id=facts.run_id,
            finding_id=facts.finding_id,
            attempt=facts.attempt,
            session_id=facts.session_id,
            pr_url=facts.pr_url,
            at=now,
        )
        if any(p.key == marker.key for p in item.provenance):
            continue  # lowered for this already
        _move(item, -OWN_FIX_PENALTY, now)
        item.provenance = [*item.provenance, marker][-MAX_PROVENANCE:]


def record_use(book: MemoryBook, facts: SessionFacts, outcome: UseOutcome, now: datetime) -> None:
    """Counts the session on every lesson its prompt carried, with its latest outcome."""
    use = LessonUse(run_id=facts.run_id, finding_id=facts.finding_id, attempt=facts.attempt, outcome=outcome)
    for item_id in facts.memory_ids:
        item = book.items.get(item_id)
        if item is None:
            continue  # evicted or from another store since
        earlier = next((u for u in item.recent_uses if u.key == use.key), None)
        if earlier is None:
            item.uses += 1
            item.recent_uses = [*item.recent_uses, use][-MAX_RECENT_USES:]
        elif earlier.outcome == outcome:
            continue
        else:
            item.outcomes[earlier.outcome] = max(0, item.outcomes.get(earlier.outcome, 0) - 1)
            earlier.outcome = outcome
        item.outcomes[outcome] = item.outcomes.get(outcome, 0) + 1
        if outcome == "rejected":
            _move(item, -USED_REJECTED_PENALTY, now)
        elif outcome == "approved":
            _move(item, USED_APPROVED_BOOST, now)


def session_ended(book: MemoryBook, facts: SessionFacts, status: str, now: datetime) -> None:
    """A session reached success, failed or timeout."""
    if status in ("success", "failed", "timeout"):
        record_use(book, facts, status, now)  # type: ignore[arg-type]
    if status in ("failed", "timeout"):
        learn(book, LessonKind.pitfall, facts, failure_text(facts, status), "session_failed", now)


def pull_request_reviewed(
    book: MemoryBook, facts: SessionFacts, decision: str, reviewer: str, reason: str | None, now: datetime
) -> list[MemoryItem]:
    """A reviewer approved or rejected the session's pull request; returns the lessons learned."""
    learned: list[MemoryItem] = []
    if decision == "approved":
        record_use(book, facts, "approved", now)
        if (text := fix_text(facts)) is not None:
            learned.append(learn(book, LessonKind.fix, facts, text, "pr_approved", now, reviewer))
    elif decision == "rejected":
        record_use(book, facts, "rejected", now)
        _lower(_fixes_taught_by(book, facts), facts, "pr_rejected", now)
        text = rejection_text(facts, reason)
        learned.append(learn(book, LessonKind.pitfall, facts, text, "pr_rejected", now, reviewer))
    return learned


def fix_verified(book: MemoryBook, facts: SessionFacts, now: datetime) -> MemoryItem | None:
    text = fix_text(facts)
    return learn(book, LessonKind.fix, facts, text, "fix_verified", now) if text else None


def fix_regressed(book: MemoryBook, facts: SessionFacts, now: datetime) -> MemoryItem:
    taught = _fixes_taught_by(book, facts)
    if facts.pr_url:
        taught += [i for i in _fixes_of_pr(book, facts.pr_url) if i not in taught]
    _lower(taught, facts, "fix_regressed", now)
    return learn(book, LessonKind.pitfall, facts, regression_text(facts), "fix_regressed", now)


def retire(book: MemoryBook, item_id: str, by: str, reason: str, now: datetime) -> MemoryItem:
    """Takes a lesson out of every future prompt; it stays listed, with who retired it and why."""
    item = book.items.get(item_id)
    if item is None:
        raise BadInputError(f"memory item {item_id!r} does not exist (it may have been evicted)")
    why = " ".join((reason or "").split())
    if not why:
        raise BadInputError("retiring a memory item needs a reason")
    if item.retired is None:
        item.retired = Retirement(by=by, at=now, reason=why[:500])
        item.updated_at = now
    return item
