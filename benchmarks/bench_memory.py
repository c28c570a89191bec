"""The memory at its bounds: a book filled to MAX_ITEMS lessons, each with the most provenance
and remembered uses it keeps, and the worst-case lesson text. Prints the file's size, how long
one locked update (read, learn one outcome, atomic replace) takes, and how long ranking the
lessons for one finding takes.

Usage: python benchmarks/bench_memory.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from engine.core.models import Finding, FindingCategory, Severity  # noqa: E402
from engine.memory import FileMemoryStore, MemoryBook, ranked_lessons  # noqa: E402
from engine.memory.learn import (  # noqa: E402
    LESSON_MAX_CHARS,
    MAX_ITEMS,
    MAX_PROVENANCE,
    MAX_RECENT_USES,
    SessionFacts,
    learn,
    record_use,
    session_ended,
)
from engine.memory.models import LessonKind  # noqa: E402

NOW = datetime(2026, 3, 1, tzinfo=UTC)
CATEGORIES = list(FindingCategory)


def facts(n: int, attempt: int = 1, memory_ids: list[str] | None = None) -> SessionFacts:
    return SessionFacts(
        run_id=f"run-{n % 97}",
        finding_id=f"F-{n}",
        attempt=attempt,
        category=CATEGORIES[n % len(CATEGORIES)],
        service=f"service-{n % 20}",
        language=("python", "java", "go", "typescript")[n % 4],
        session_id=f"devin-{n}-{attempt}",
        pr_url=f"https://github.com/acme/repo/pull/{n}",
        error="x" * 300,
        memory_ids=memory_ids or [],
    )


def full_book() -> MemoryBook:
    book = MemoryBook()
    for n in range(MAX_ITEMS):
        item = learn(
            book, LessonKind.pitfall, facts(n), f"{n} " + "y" * LESSON_MAX_CHARS, "session_failed", NOW
        )
        for attempt in range(2, MAX_PROVENANCE + 1):
            learn(book, LessonKind.pitfall, facts(n, attempt), item.text, "session_failed", NOW)
        for use in range(MAX_RECENT_USES):
            record_use(book, facts(10_000 + use, memory_ids=[item.item_id]), "success", NOW)
    return book


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    book = full_book()
    with tempfile.TemporaryDirectory() as folder:
        store = FileMemoryStore(folder)
        store.update("simulated", lambda b: b.items.update(book.items))
        path = Path(folder) / "_shared" / "memory" / "simulated.json"
        size = path.stat().st_size
        times = []
        for n in range(args.repeat):
            start = time.perf_counter()
            store.update("simulated", lambda b, n=n: session_ended(b, facts(50_000 + n), "failed", NOW))
            times.append(time.perf_counter() - start)
        finding = Finding(
            finding_id="F-x",
            category=CATEGORIES[0],
            severity=Severity.high,
            title="t",
            service_name="service-0",
            language="python",
        )
        start = time.perf_counter()
        for _ in range(args.repeat):
            ranked_lessons(store.read("simulated"), finding)
        rank_ms = (time.perf_counter() - start) / args.repeat * 1000
    print(
        f"lessons: {len(book.items)} (MAX_ITEMS {MAX_ITEMS}), "
        f"provenance {MAX_PROVENANCE} and uses {MAX_RECENT_USES} each"
    )
    print(f"file size: {size / 1e6:.1f} MB")
    print(
        f"one locked update: median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms"
    )
    print(f"read + rank for one finding: {rank_ms:.0f} ms")


if __name__ == "__main__":
    main()
