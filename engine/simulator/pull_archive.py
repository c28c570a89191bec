"""Simulated pull requests saved in their run folder, so a link shown long after the run (on
the Review, Findings and Ledger pages, after an app restart) still opens a real page.

`runs/<run_id>/pulls/<key>.json`, one file per pull request, written once by the run's engine
(its in-process simulator, the moment a session first reports the pull request, before anyone
can see the link) with an atomic replace; the key is a hash of the page's path, so scanner text
never becomes a file name. Readers (the pull request page server, the app) never follow links
and read at most MAX_RECORD_BYTES."""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import ValidationError

from engine.core.errors import writing
from engine.core.pull_evidence import ChangedFile, CheckResult, PullEvidence
from engine.simulator.pull_record import PullRecord
from engine.storage.atomic import atomic_write_bytes
from engine.storage.links import SymlinkRefusedError, open_no_follow

PULLS_DIRNAME = "pulls"
MAX_RECORD_BYTES = 4 * 1024 * 1024


def pulls_dir(run_root: Path) -> Path:
    return Path(run_root) / PULLS_DIRNAME


def record_name(page_path: str) -> str:
    """The file name for the pull request at `page_path` ("/owner/name/pull/N")."""
    return hashlib.sha256(page_path.encode()).hexdigest()[:32] + ".json"


def save_pull(folder: Path, pull: PullRecord) -> Path:
    """Writes the page's record with an atomic replace. Nothing is written through a link:
    SymlinkRefusedError when the folder (or the record's name) is one."""
    own_folder(Path(folder))
    target = Path(folder) / record_name(pull.path)
    atomic_write_bytes(target, pull.model_dump_json(indent=1).encode())
    return target


def own_folder(folder: Path) -> None:
    """Creates `folder` if need be and makes sure it is a real folder, not a link to one."""
    with writing(folder):
        folder.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.mkdir(folder)
    if not stat.S_ISDIR(os.lstat(folder).st_mode):
        raise SymlinkRefusedError(
            folder,
            f"{folder} is not a folder (a symbolic link?); simulated pull request pages are never "
            "written through links",
        )


def _read(path: Path) -> PullRecord | None:
    if path.parent.is_symlink():  # open_no_follow guards the file name, not the folder
        return None
    try:
        fd = open_no_follow(path, os.O_RDONLY)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(MAX_RECORD_BYTES + 1)
    if len(data) > MAX_RECORD_BYTES:
        return None
    try:
        return PullRecord.model_validate_json(data)
    except ValidationError:
        return None


def load_pull(folder: Path, page_path: str) -> PullRecord | None:
    record = _read(Path(folder) / record_name(page_path))
    return record if record is not None and record.path == page_path else None


def saved_pull_for(run_root: Path, url: str) -> PullRecord | None:
    """The saved pull request a run's session links to (None for a live or unknown URL)."""
    return load_pull(pulls_dir(run_root), urlsplit(url).path.rstrip("/"))


def saved_pull_evidence(run_root: Path, url: str) -> PullEvidence | None:
    """What a reviewer reads of a simulated pull request: its files, diff and checks."""
    pull = saved_pull_for(run_root, url)
    if pull is None:
        return None
    return PullEvidence(
        source="simulated",
        diff=pull.diff,
        files=[ChangedFile(path=f.path, additions=f.additions, deletions=f.deletions) for f in pull.files],
        checks=[CheckResult(name=c.name, conclusion=c.conclusion, summary=c.summary) for c in pull.checks],
    )


def find_pull(runs_dir: Path, page_path: str) -> PullRecord | None:
    """The pull request at `page_path` saved by any run in `runs_dir` (the newest copy: a
    seeded demo played twice opens the same pull requests)."""
    name = record_name(page_path)
    found: list[tuple[float, Path]] = []
    try:
        runs = list(os.scandir(runs_dir))
    except OSError:
        return None
    for run in runs:
        if not run.is_dir(follow_symlinks=False):
            continue
        candidate = Path(run.path) / PULLS_DIRNAME / name
        try:
            stat = candidate.lstat()
        except OSError:
            continue
        found.append((stat.st_mtime, candidate))
    for _, path in sorted(found, reverse=True):
        record = _read(path)
        if record is not None and record.path == page_path:
            return record
    return None
