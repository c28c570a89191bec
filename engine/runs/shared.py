"""`<runs_dir>/_shared/`: the files all runs share, in a folder no run can be named.

Run folders are `<runs_dir>/<run id>/`, and a run id starts with a letter or a digit
(`engine.runs.paths.RUN_ID_PATTERN`), so `_shared` never collides with a run, whatever the run
is called. Everything shared lives there: the run index, the audit trail, the alert log and
the findings ledger. Every path of a shared file is built from `shared_dir`.

Earlier versions kept those files beside the run folders. The first time a process opens a
runs folder, `shared_dir` moves any of them it finds into `_shared/` (`move_old_layout`):
under a lock, one rename per item, so a crash leaves each item either moved or not and the
next open finishes the job. Nothing is deleted or overwritten: an item whose new place is
already taken stays where it is, with a warning naming both. A folder at the top that holds a
run (an earlier version accepted run ids such as `ledger` or `index.json`) is a run, not a
shared file, and stays where it is."""

from __future__ import annotations

import logging
import os
import stat
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import get_args

from filelock import FileLock

from engine.core.errors import BadInputError
from engine.core.models import DataSource
from engine.storage.atomic import TEMP_PREFIX, fsync_dir

SHARED_DIR_NAME = "_shared"
LOCK_NAME = "layout.lock"
LOCK_TIMEOUT_SECONDS = 30

# What earlier versions kept at the top of the runs folder; each keeps its name in `_shared/`.
OLD_SHARED_FILES = ("index.json", "audit.jsonl", "alerts.jsonl")
OLD_LEDGER_DIR = "ledger"
_LEDGER_FILES = tuple(f"{source}.json" for source in get_args(DataSource))

log = logging.getLogger(__name__)

_opened: set[str] = set()  # runs folders this process has opened (absolute paths)
_opening = threading.Lock()  # the app's sessions are threads of one process


@dataclass(frozen=True)
class Move:
    old: Path
    new: Path


@dataclass
class LayoutMigration:
    moved: list[Move] = field(default_factory=list)
    left: list[Move] = field(default_factory=list)  # the new place was taken: left where it was


def shared_dir(runs_dir: Path | str) -> Path:
    """`<runs_dir>/_shared`, once this process has moved an earlier layout's shared files into
    it (checked on the first call per runs folder: a few `lstat`s when there is nothing to
    move, nothing at all afterwards). The folder itself is created by the first writer."""
    runs_dir = Path(runs_dir)
    key = os.path.abspath(runs_dir)
    if key not in _opened:
        with _opening:
            if key not in _opened:
                move_old_layout(runs_dir)
                _opened.add(key)
    return runs_dir / SHARED_DIR_NAME


def move_old_layout(runs_dir: Path | str) -> LayoutMigration:
    """Moves the shared files an earlier version left at the top of `runs_dir` into
    `_shared/`. Safe to call from several processes at once and after a crash midway."""
    runs_dir = Path(runs_dir)
    result = LayoutMigration()
    if not old_layout_items(runs_dir):
        return result
    shared = runs_dir / SHARED_DIR_NAME
    try:
        _move(runs_dir, shared, result)
    except OSError as exc:
        raise BadInputError(
            f"{runs_dir}: cannot move the shared files of an earlier version into {shared} "
            f"({exc.strerror or exc}); make the runs folder writable and try again"
        ) from exc
    for move in result.moved:
        log.info("moved %s to %s (shared files now live in %s/)", move.old, move.new, SHARED_DIR_NAME)
    for move in result.left:
        log.warning(
            "%s was left where it is: %s already exists and is the one in use. Nothing was "
            "overwritten; compare the two, keep what you need in %s and move %s away",
            move.old,
            move.new,
            move.new,
            move.old,
        )
    return result


def _move(runs_dir: Path, shared: Path, result: LayoutMigration) -> None:
    shared.mkdir(exist_ok=True)
    with FileLock(str(shared / LOCK_NAME), timeout=LOCK_TIMEOUT_SECONDS):
        # Listed again under the lock: another process may have moved them meanwhile.
        for move in old_layout_items(runs_dir):
            if os.path.lexists(move.new):
                result.left.append(move)
                continue
            move.new.parent.mkdir(exist_ok=True)
            os.rename(move.old, move.new)  # the new place is free and every mover holds the lock
            result.moved.append(move)
            _move_lock_file(move)
        touched = {runs_dir} | {m.old.parent for m in result.moved} | {m.new.parent for m in result.moved}
        for folder in sorted(touched):
            fsync_dir(folder)


def _move_lock_file(move: Move) -> None:
    """A moved file's lock file goes with it, so the top of the runs folder is left clean; it
    holds no data, so one whose new place is taken simply stays."""
    old, new = Path(f"{move.old}.lock"), Path(f"{move.new}.lock")
    if _kind(old) == "file" and not os.path.lexists(new):
        os.rename(old, new)


def old_layout_items(runs_dir: Path) -> list[Move]:
    """What is still to move from the top of `runs_dir` (or cannot be moved: see `left`)."""
    shared = runs_dir / SHARED_DIR_NAME
    items = [
        Move(runs_dir / name, shared / name)
        for name in OLD_SHARED_FILES
        if _kind(runs_dir / name) == "file"  # a folder of that name is a run: it stays
    ]
    return items + _ledger_items(runs_dir / OLD_LEDGER_DIR, shared / OLD_LEDGER_DIR)


def _ledger_items(old: Path, new: Path) -> list[Move]:
    """The old ledger folder whole, when it holds nothing but the ledger and its new place is
    free; else each ledger file in it (a run named `ledger` may hold the ledger files an
    earlier version wrote into it, beside the run's own files, which stay)."""
    if _kind(old) != "dir":
        return []
    try:
        names = os.listdir(old)
    except OSError:
        return []
    ledger_files = [n for n in _LEDGER_FILES if n in names and _kind(old / n) == "file"]
    if not ledger_files:
        return []  # an empty folder (perhaps a run being created) or a run without them
    if not os.path.lexists(new) and all(_belongs_to_ledger(n) for n in names):
        return [Move(old, new)]
    return [Move(old / n, new / n) for n in ledger_files]


def _belongs_to_ledger(name: str) -> bool:
    for ledger_file in _LEDGER_FILES:
        if name in (ledger_file, f"{ledger_file}.lock") or name.startswith(f"{TEMP_PREFIX}{ledger_file}."):
            return True
    return False


def _kind(path: Path) -> str | None:
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return None
    return "dir" if stat.S_ISDIR(mode) else "file"
