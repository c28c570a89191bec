"""Helpers for the crash-safety and concurrent-writer tests: a watcher that keeps reading a run
folder's files while others write them, process kills, and the simulator's counters."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from engine.core.models import BatchRun, TimelineEvent
from engine.runs.index import RunIndex
from engine.runs.reviews import ReviewDecision


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, step: float = 0.05, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"condition not met within {timeout:g} s: {what or predicate}")


def gone(pid: int) -> bool:
    """True once the process has exited (a zombie waiting for its parent counts)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def sigkill(pid: int, timeout: float = 10.0) -> bool:
    """SIGKILLs `pid` and waits until it is gone; False if it had already exited."""
    if gone(pid):
        return False
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    wait_for(lambda: gone(pid), timeout, what=f"pid {pid} to die")
    return True


def sim_stats(base_url: str) -> dict[str, Any]:
    root = base_url.removesuffix("/v1")
    with urllib.request.urlopen(f"{root}/_sim/stats", timeout=10) as response:
        return json.loads(response.read())


# --- parsing what a reader sees --------------------------------------------------------------


def _parse_event(line: bytes) -> None:
    TimelineEvent.model_validate_json(line)


def _parse_json(line: bytes) -> None:
    json.loads(line)


def _parse_review(line: bytes) -> None:
    ReviewDecision.model_validate_json(line)


JSONL_PARSERS: dict[str, Callable[[bytes], None]] = {
    "events.jsonl": _parse_event,
    "dispatch.jsonl": _parse_json,
    "reviews.jsonl": _parse_review,
}
WHOLE_FILE_PARSERS: dict[str, Callable[[bytes], None]] = {
    "state.json": lambda data: BatchRun.model_validate_json(data),  # type: ignore[dict-item]
    "index.json": lambda data: RunIndex.model_validate_json(data),  # type: ignore[dict-item]
}


def jsonl_problems(name: str, data: bytes) -> tuple[list[str], bool]:
    """(problems, has_unterminated_tail). Every newline-terminated line must parse. A last
    fragment without its newline is not a problem by itself: a reader may catch a writer between
    the pages of one write, and a killed writer may leave one, which the next writer's
    open_for_append cuts off. A fragment that was appended to instead would show up here as a
    complete line that does not parse."""
    parse = JSONL_PARSERS[name]
    lines = data.split(b"\n")
    tail = lines.pop()  # b"" when the file ends with a newline
    problems = []
    for number, line in enumerate(lines, start=1):
        try:
            parse(line)
        except ValueError as exc:
            problems.append(f"{name} line {number} does not parse ({str(exc)[:120]}): {line[:160]!r}")
    return problems, bool(tail)


@dataclass
class Watcher:
    """Reads the given files again and again, as fast as it can, in a thread, and records every
    read that does not parse. Missing files are skipped (not written yet)."""

    files: list[Path]
    reads: dict[str, int] = field(default_factory=dict)
    torn_tails_seen: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def check_once(self) -> None:
        for path in self.files:
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue
            key = f"{path.parent.name}/{path.name}"
            self.reads[key] = self.reads.get(key, 0) + 1
            if path.name in WHOLE_FILE_PARSERS:
                try:
                    WHOLE_FILE_PARSERS[path.name](data)
                except ValueError as exc:
                    self.failures.append(f"{key} ({len(data)} bytes) does not parse: {str(exc)[:200]}")
                continue
            problems, torn = jsonl_problems(path.name, data)
            self.failures += [f"{key}: {p}" for p in problems]
            if torn:
                self.torn_tails_seen[key] = self.torn_tails_seen.get(key, 0) + 1

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.check_once()
            except Exception as exc:  # a watcher bug must show, not end the watching silently
                self.failures.append(f"watcher error: {exc!r}")
            time.sleep(0)  # as fast as it can, but let the other threads (the simulator) in

    def __enter__(self) -> Watcher:
        self._thread = threading.Thread(target=self._loop, name="file-watcher", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


# --- worker processes (top level, so a spawn context can import them) -------------------------


def review_worker(runs_dir: str, run_id: str, worker: int, count: int, barrier: Any) -> None:
    """Records `count` decisions on `run_id`'s reviewable sessions, each naming its writer and
    number in the reason, starting together with the other workers."""
    from engine.runs.paths import RunPaths
    from engine.runs.reviews import record_review, reviewable
    from engine.runs.state_store import load_state

    paths = RunPaths.existing(Path(runs_dir), run_id)
    run = load_state(paths.state)
    sessions = [s for s in run.sessions if reviewable(s)]
    barrier.wait(timeout=60)
    for i in range(count):
        s = sessions[(worker * count + i) % len(sessions)]
        record_review(
            paths,
            run,
            s.finding_id,
            s.attempt,
            "approved" if i % 2 else "rejected",
            f"reviewer-{worker}",
            review_reason(worker, i),
        )


def review_reason(worker: int, i: int) -> str:
    return f"writer={worker} decision={i}"


def upsert_worker(runs_dir: str, worker: int, count: int, barrier: Any) -> None:
    """Upserts `count` made-up runs into the shared index, a few milliseconds apart."""
    from datetime import UTC, datetime, timedelta

    from engine.core.models import RunStatus
    from engine.runs.index import IndexEntry, upsert_run

    base = datetime(2024, 1, 1, tzinfo=UTC)
    barrier.wait(timeout=60)
    for j in range(count):
        entry = IndexEntry(
            run_id=f"other-{worker}-{j}",
            created_at=base + timedelta(seconds=worker * 1000 + j),
            status=RunStatus.completed,
            data_source="simulated",
        )
        upsert_run(Path(runs_dir), entry)
        time.sleep(0.02)
