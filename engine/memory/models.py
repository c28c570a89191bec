"""The memory's data model: lessons learned from earlier sessions, with where each came from.

A lesson is about one kind of work: a finding category in one service, in one language (the
item's key). It says what fixed such a finding (`fix`) or what went wrong and why (`pitfall`).
Its text never changes once learned; what changes is its confidence (a rejected or regressed
fix lowers it, a verified one raises it), its evidence and how sessions that used it fared.
Every model round-trips through JSON unchanged."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from engine.core.models import FindingCategory

MEMORY_VERSION = 1


class LessonKind(StrEnum):
    fix = "fix"  # what fixed a finding of this kind: approach, files, tests
    pitfall = "pitfall"  # what failed or was rejected, and why


LessonSource = Literal["session_failed", "pr_approved", "pr_rejected", "fix_verified", "fix_regressed"]
# What became of a session that had the lesson in its prompt.
UseOutcome = Literal["in_flight", "success", "failed", "timeout", "approved", "rejected"]
USE_OUTCOMES: tuple[UseOutcome, ...] = ("in_flight", "success", "failed", "timeout", "approved", "rejected")


class Provenance(BaseModel):
    """One piece of evidence behind a lesson: which session of which run, its pull request and
    the reviewer who decided on it."""

    source: LessonSource
    run_id: str
    finding_id: str
    attempt: int
    session_id: str | None = None
    pr_url: str | None = None
    reviewer: str | None = None
    at: datetime

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (self.source, self.run_id, self.finding_id, self.attempt)


class LessonUse(BaseModel):
    """A session whose prompt carried the lesson, and its outcome as far as it is known."""

    run_id: str
    finding_id: str
    attempt: int
    outcome: UseOutcome = "in_flight"

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.run_id, self.finding_id, self.attempt)


class Retirement(BaseModel):
    by: str
    at: datetime
    reason: str


class MemoryItem(BaseModel):
    item_id: str  # a hash of key, kind and text: the same lesson learned twice is one item
    kind: LessonKind
    category: FindingCategory
    service: str
    language: str | None = None  # lowercase, like the findings format ("python", "java")
    text: str
    confidence: float = Field(ge=0, le=1)
    evidence: int = 1  # how many sessions taught it
    created_at: datetime
    updated_at: datetime
    provenance: list[Provenance] = Field(default_factory=list)  # newest last, bounded
    uses: int = 0  # sessions whose prompt carried it
    outcomes: dict[str, int] = Field(default_factory=dict)  # UseOutcome -> sessions
    recent_uses: list[LessonUse] = Field(default_factory=list)  # newest last, bounded
    retired: Retirement | None = None

    @property
    def key(self) -> tuple[str, str, str | None]:
        return (self.category.value, self.service, self.language)


class MemoryBook(BaseModel):
    """Every lesson of one data source (simulated lessons never reach live prompts)."""

    version: int = MEMORY_VERSION
    items: dict[str, MemoryItem] = Field(default_factory=dict)


class LessonInPrompt(BaseModel):
    """A lesson as one prompt carried it: the id, and the text as it was then."""

    item_id: str
    kind: LessonKind
    text: str
    confidence: float
