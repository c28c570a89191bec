"""`events.jsonl`: the run's timeline, appended by its engine, one JSON object per line."""

from __future__ import annotations

from pathlib import Path

from engine.models import TimelineEvent
from engine.runs.appendlog import open_for_append
from engine.runs.fence import check_lease


class EventLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle = open_for_append(path)

    def append(self, event: TimelineEvent) -> None:
        # One write call per line, flushed: a killed process leaves at most a torn last line.
        check_lease("append to events.jsonl")
        self._handle.write(event.model_dump_json().encode() + b"\n")
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()


def read_events(path: Path) -> list[TimelineEvent]:
    """All complete events; a torn last line from a killed writer is skipped."""
    events: list[TimelineEvent] = []
    try:
        lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        return events
    for line in lines:
        if not line.strip():
            continue
        try:
            events.append(TimelineEvent.model_validate_json(line))
        except ValueError:
            continue
    return events
