"""The ledger file: `<runs_dir>/_shared/ledger/<data_source>.json`, one per data source so simulated
outcomes never block real work.

Engines, launchers and the app may change it at the same time, so every change goes through
`update_ledger`: a file lock on `<file>.lock`, read, change, atomic replace. Readers need no
lock: the atomic replace means they see the old file or the new one. A file that does not
parse is reported, never overwritten: it holds history nobody can rebuild.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from filelock import FileLock
from pydantic import ValidationError

from engine.core.errors import BadInputError
from engine.ledger.models import LEDGER_VERSION, Ledger
from engine.runs.shared import shared_dir
from engine.storage.atomic import TEMP_PREFIX, atomic_write_bytes

LEDGER_DIR = "ledger"
LOCK_TIMEOUT_SECONDS = 30
_SOURCE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")

T = TypeVar("T")


def ledger_path(runs_dir: Path | str, data_source: str) -> Path:
    # The name becomes a file name: nothing that could climb out of the ledger folder.
    if not _SOURCE_NAME.fullmatch(data_source):
        raise BadInputError(
            f"data source {data_source!r} is not a valid ledger name (use 'live' or 'simulated')"
        )
    return shared_dir(runs_dir) / LEDGER_DIR / f"{data_source}.json"


def read_ledger(runs_dir: Path | str, data_source: str) -> Ledger:
    """The ledger as last written; an empty one when there is no file yet."""
    return _read(ledger_path(runs_dir, data_source))


def update_ledger(runs_dir: Path | str, data_source: str, change: Callable[[Ledger], T]) -> T:
    """Runs `change` on the current ledger under the lock and writes the result if the content
    changed. If `change` raises, nothing is written."""
    path = ledger_path(runs_dir, data_source)
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock", timeout=LOCK_TIMEOUT_SECONDS):
        # Every writer holds this lock while its temp file exists, so a temp file seen here
        # was left by a writer that was killed mid-write.
        for leftover in path.parent.glob(f"{TEMP_PREFIX}{path.name}.*"):
            leftover.unlink(missing_ok=True)
        before = _raw(path)
        ledger = _parse(path, before) if before is not None else Ledger()
        result = change(ledger)
        after = _dump(ledger)
        # The file is always this function's own dump, so equal bytes mean nothing changed.
        if after != (before if before is not None else _dump(Ledger())):
            atomic_write_bytes(path, after)
        return result


def _dump(ledger: Ledger) -> bytes:
    # Compact: the ledger is rewritten whole on every change, and `ledger list/show` and the
    # Ledger page are how people read it.
    return ledger.model_dump_json().encode()


def _raw(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise BadInputError(f"{path}: cannot read the ledger file ({exc.strerror or exc})") from exc


def _read(path: Path) -> Ledger:
    data = _raw(path)
    return _parse(path, data) if data is not None else Ledger()


def _parse(path: Path, data: bytes) -> Ledger:
    try:
        ledger = Ledger.model_validate_json(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the top level"
        raise BadInputError(
            f"{path}: not a valid ledger file ({first['msg']} at {where}); it is left as it is, "
            "move it away to start a new ledger"
        ) from exc
    if ledger.version > LEDGER_VERSION:
        raise BadInputError(
            f"{path}: ledger version {ledger.version} is newer than this Patchwave reads ({LEDGER_VERSION})"
        )
    return ledger
