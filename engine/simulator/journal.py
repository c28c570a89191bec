"""Append-only JSON-lines journal of the simulator's state-changing requests."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from engine.runs.fence import check_lease
from engine.storage.links import open_no_follow


class Journal:
    """One JSON object per line, flushed after every line.

    `entries()` reads what an earlier process wrote, skipping blank or torn lines (a crash
    can leave the last line half-written); `open()` then appends after it.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def entries(self) -> Iterator[dict[str, Any]]:
        if self.path is None or not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(entry, dict) and isinstance(entry.get("op"), str):
                    yield entry

    def open(self) -> None:
        if self.path is None or self._file is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        torn = False
        if self.path.exists() and self.path.stat().st_size > 0:
            with self.path.open("rb") as handle:
                handle.seek(-1, 2)
                torn = handle.read(1) != b"\n"
        # Never through a symbolic link: the journal would land in the file it names.
        fd = open_no_follow(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        self._file = os.fdopen(fd, "a", encoding="utf-8")
        if torn:  # never glue a new entry onto a half-written line
            self._file.write("\n")
            self._file.flush()

    def append(self, entry: dict[str, Any]) -> None:
        if self._file is None:
            return
        check_lease("append to simulator.jsonl")  # the in-process simulator of a fleet engine
        self._file.write(json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n")
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            # Closing flushes; on a full disk that fails again after the request that hit it
            # already answered 500, and the file is closed either way.
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None
