"""`events.jsonl`: the run's timeline, appended by its engine, one JSON object per line."""

from __future__ import annotations

from pathlib import Path

from engine.core.errors import writing
from engine.core.models import TimelineEvent
from engine.runs.damage import read_run_file
from engine.runs.fence import check_lease
from engine.storage.appendlog import open_for_append


class EventLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle = open_for_append(path)

    def append(self, event: TimelineEvent) -> None:
        # One write call per line, flushed: a killed process leaves at most a torn last line.
        check_lease("append to events.jsonl")
        with writing(self.path):
            self._handle.write(event.model_dump_json().encode() + b"\n")
            self._handle.flush()

    def close(self) -> None:
        with writing(self.path):
            self._handle.close()


def read_events(path: Path) -> list[TimelineEvent]:
    """All complete events; a torn last line from a killed writer is skipped. DamagedFileError
    when the file is no regular file."""
    events: list[TimelineEvent] = []
    try:
        lines = read_run_file(path).splitlines()
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
