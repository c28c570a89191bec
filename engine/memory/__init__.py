"""Memory: lessons learned from earlier sessions (what fixed which category in which service
and language, what failed and why), each with its provenance and a confidence, carried into
the prompts of later sessions for the same kind of finding.

The store (engine.memory.store) is files under the runs folder's shared area today, behind
the `MemoryStore` interface; learning (engine.memory.learn) and ranking (engine.memory.rank)
are pure functions on a `MemoryBook`."""

from engine.memory.facts import facts_of, session_facts
from engine.memory.learn import SessionFacts
from engine.memory.models import LessonInPrompt, LessonKind, MemoryBook, MemoryItem, Provenance
from engine.memory.rank import MAX_PROMPT_LESSONS, ranked_lessons
from engine.memory.store import FileMemoryStore, MemoryStore, memory_path, memory_store

__all__ = [
    "MAX_PROMPT_LESSONS",
    "FileMemoryStore",
    "LessonInPrompt",
    "LessonKind",
    "MemoryBook",
    "MemoryItem",
    "MemoryStore",
    "Provenance",
    "SessionFacts",
    "facts_of",
    "memory_path",
    "memory_store",
    "ranked_lessons",
    "session_facts",
]
