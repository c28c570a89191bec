"""Where the memory lives: `<runs_dir>/_shared/memory/<data_source>.json`, one per data source
so simulated lessons never reach a live prompt.

Engines (session outcomes), the app (reviews, retiring) and scan imports (verified and
regressed fixes) all change it, and only through `update_memory`: a file lock on
`<file>.lock`, read, change, atomic replace, as the findings ledger is written
(engine.ledger.store). Readers need no lock. A file that does not parse is reported, never
overwritten.

`MemoryStore` is the interface the rest of Patchwave uses; `FileMemoryStore` is the one
implementation, so the memory can move into a database without its callers changing."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TypeVar

from filelock import FileLock
from pydantic import ValidationError

from engine.core.errors import BadInputError
from engine.memory.models import MEMORY_VERSION, MemoryBook
from engine.runs.shared import shared_dir
from engine.storage.atomic import TEMP_PREFIX, atomic_write_bytes

MEMORY_DIR = "memory"
LOCK_TIMEOUT_SECONDS = 30
_SOURCE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")

T = TypeVar("T")


class MemoryStore(Protocol):
    def read(self, data_source: str) -> MemoryBook: ...

    def update(self, data_source: str, change: Callable[[MemoryBook], T]) -> T: ...

    def version(self, data_source: str) -> object:
        """Something that changes whenever the book does (for readers that cache it)."""
        ...


def memory_path(runs_dir: Path | str, data_source: str) -> Path:
    if not _SOURCE_NAME.fullmatch(data_source):
        raise BadInputError(
            f"data source {data_source!r} is not a valid memory name (use 'live' or 'simulated')"
        )
    return shared_dir(runs_dir) / MEMORY_DIR / f"{data_source}.json"


class FileMemoryStore:
    def __init__(self, runs_dir: Path | str) -> None:
        self.runs_dir = Path(runs_dir)

    def read(self, data_source: str) -> MemoryBook:
        """The book as last written; an empty one when there is no file yet."""
        path = memory_path(self.runs_dir, data_source)
        data = _raw(path)
        return _parse(path, data) if data is not None else MemoryBook()

    def version(self, data_source: str) -> object:
        try:
            stat = memory_path(self.runs_dir, data_source).stat()
        except FileNotFoundError:
            return None
        return (stat.st_mtime_ns, stat.st_size, stat.st_ino)

    def update(self, data_source: str, change: Callable[[MemoryBook], T]) -> T:
        """Runs `change` on the current book under the lock and writes it if it changed. If
        `change` raises, nothing is written."""
        path = memory_path(self.runs_dir, data_source)
        path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(path) + ".lock", timeout=LOCK_TIMEOUT_SECONDS):
            # Every writer holds the lock while its temp file exists: one seen here is a
            # killed writer's.
            for leftover in path.parent.glob(f"{TEMP_PREFIX}{path.name}.*"):
                leftover.unlink(missing_ok=True)
            before = _raw(path)
            book = _parse(path, before) if before is not None else MemoryBook()
            result = change(book)
            after = book.model_dump_json().encode()
            if after != (before if before is not None else MemoryBook().model_dump_json().encode()):
                atomic_write_bytes(path, after)
            return result


def memory_store(runs_dir: Path | str) -> MemoryStore:
    """The memory of a runs folder."""
    return FileMemoryStore(runs_dir)


def _raw(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise BadInputError(f"{path}: cannot read the memory file ({exc.strerror or exc})") from exc


def _parse(path: Path, data: bytes) -> MemoryBook:
    try:
        book = MemoryBook.model_validate_json(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the top level"
        raise BadInputError(
            f"{path}: not a valid memory file ({first['msg']} at {where}); it is left as it is, "
            "move it away to start a new memory"
        ) from exc
    if book.version > MEMORY_VERSION:
        raise BadInputError(f"{path}: memory version {book.version} is newer than this Patchwave reads")
    return book
