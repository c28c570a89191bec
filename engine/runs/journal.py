"""`dispatch.jsonl`: the write-ahead record of session creates.

The intent line is written before the create request and the created line after it, each a
single flushed append. After a crash, `resume` replays this file over the last state snapshot,
so a session created after the snapshot is adopted rather than created again."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from engine.core.errors import writing
from engine.runs.damage import read_run_file
from engine.runs.fence import check_lease
from engine.storage.appendlog import open_for_append


@dataclass
class JournalEntry:
    finding_id: str
    attempt: int
    wave_number: int
    tag: str
    session_id: str | None = None
    url: str | None = None
    memory_ids: list[str] = field(default_factory=list)  # the lessons its prompt carries


class DispatchJournal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle = open_for_append(path)

    def intent(
        self, finding_id: str, attempt: int, wave_number: int, tag: str, memory_ids: list[str] | None = None
    ) -> None:
        record: dict = {
            "event": "intent",
            "finding_id": finding_id,
            "attempt": attempt,
            "wave_number": wave_number,
            "tag": tag,
        }
        if memory_ids:
            record["memory_ids"] = memory_ids
        self._write(record)

    def created(self, finding_id: str, attempt: int, session_id: str, url: str | None) -> None:
        self._write(
            {
                "event": "created",
                "finding_id": finding_id,
                "attempt": attempt,
                "session_id": session_id,
                "url": url,
            }
        )

    def _write(self, record: dict) -> None:
        # An intent precedes its create: a fenced engine never reaches the create request.
        check_lease(f"journal a session {record['event']}")
        with writing(self.path):
            self._handle.write(json.dumps(record, separators=(",", ":")).encode() + b"\n")
            self._handle.flush()

    def close(self) -> None:
        with writing(self.path):
            self._handle.close()


def replay_journal(path: Path) -> dict[tuple[str, int], JournalEntry]:
    entries: dict[tuple[str, int], JournalEntry] = {}
    try:
        lines = read_run_file(path).splitlines()
    except FileNotFoundError:
        return entries
    for line in lines:
        try:
            record = json.loads(line)
            key = (record["finding_id"], int(record["attempt"]))
            if record["event"] == "intent":
                entries[key] = JournalEntry(key[0], key[1], int(record["wave_number"]), record["tag"])
                entries[key].memory_ids = [str(i) for i in record.get("memory_ids") or []]
            elif record["event"] == "created" and key in entries:
                entries[key].session_id = record["session_id"]
                entries[key].url = record.get("url")
        except (ValueError, KeyError, TypeError):
            continue  # a torn last line from a killed process
    return entries
