"""`runs/_shared/index.json`: one line per run for the history list. Several engines and launchers
write it, so every change is read-modify-replace under a file lock.

The index only summarises the run folders, so it can always be rebuilt from them: when it is
missing, the next change rebuilds it first. A damaged index is never written over (someone may
want to look at it); readers say so, and listings fall back to the run folders."""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock
from pydantic import BaseModel, Field

from engine.core.errors import BadInputError, DamagedFileError
from engine.core.models import BatchRun, RunStatus
from engine.runs.damage import parse_run_file
from engine.runs.launch_record import read_launch
from engine.runs.paths import RunPaths, check_run_id
from engine.runs.shared import shared_dir
from engine.runs.state_store import load_state_if_present
from engine.runs.timing import agent_seconds
from engine.storage.atomic import TEMP_PREFIX, atomic_write_bytes

INDEX_NAME = "index.json"
LOCK_TIMEOUT_SECONDS = 30
INDEX_ADVICE = (
    "Move it away (or restore it) and the run list is rebuilt from the run folders; "
    "the runs themselves are unaffected."
)


class IndexEntry(BaseModel):
    run_id: str
    created_at: datetime
    started_at: datetime | None = None
    completed_at: datetime | None = None
    updated_at: datetime | None = None  # the run's last recorded activity
    status: RunStatus
    status_reason: str | None = None
    data_source: str
    source_file: str | None = None
    findings: int = 0
    succeeded: int = 0
    failed: int = 0
    open: int = 0
    pull_requests: int = 0
    sessions: int = 0
    agent_seconds: float = 0.0  # on the agent's clock (see engine.runs.timing)
    speed: float = 1.0
    max_acu_per_session: int = 0
    # The run's totals.acus_reported and sessions_without_usage (engine.analytics.cost).
    acus_reported: float = 0.0
    sessions_without_usage: int = 0
    held_back: dict[str, int] = Field(default_factory=dict)  # findings held back, per reason


class RunIndex(BaseModel):
    runs: list[IndexEntry] = Field(default_factory=list)


def index_path(runs_dir: Path) -> Path:
    return shared_dir(runs_dir) / INDEX_NAME


def read_index(runs_dir: Path) -> RunIndex:
    """The index (empty when there is none yet); DamagedFileError when it is unusable."""
    try:
        return parse_run_file(index_path(runs_dir), RunIndex, "run index", INDEX_ADVICE)
    except FileNotFoundError:
        return RunIndex()


def rebuilt_index(runs_dir: Path) -> RunIndex:
    """The index as the run folders tell it: each run's state when it is readable, else its
    launch record (a run that never started). Folders that are no run are left out."""
    runs = [entry for paths in run_folders(runs_dir) if (entry := folder_entry(paths)) is not None]
    runs.sort(key=lambda r: r.created_at, reverse=True)
    return RunIndex(runs=runs)


def run_folders(runs_dir: Path) -> list[RunPaths]:
    """Every folder of `runs_dir` that holds a launched run (it has a launch.json)."""
    try:
        items = list(os.scandir(runs_dir))
    except FileNotFoundError:
        return []
    found = []
    for item in items:
        if not item.is_dir(follow_symlinks=False):
            continue
        try:
            paths = RunPaths(Path(runs_dir) / check_run_id(item.name))
        except BadInputError:
            continue
        if os.path.lexists(paths.launch):
            found.append(paths)
    return found


def folder_entry(paths: RunPaths) -> IndexEntry | None:
    """One run's index line from its own files; a run whose state is damaged is listed from
    its launch record (readers of the state then say what is wrong)."""
    try:
        run = load_state_if_present(paths.state)
    except DamagedFileError:
        run = None
    if run is not None:
        return entry_for(run)
    try:
        record = read_launch(paths)
    except (DamagedFileError, FileNotFoundError):
        created = datetime.fromtimestamp(os.lstat(paths.root).st_mtime, UTC)
        return IndexEntry(
            run_id=paths.run_id, created_at=created, status=RunStatus.pending, data_source="unknown"
        )
    return IndexEntry(
        run_id=paths.run_id,
        created_at=record.created_at,
        status=RunStatus.pending,
        data_source=record.config.data_source,
        source_file=record.source_file_name,
    )


def entry_for(run: BatchRun) -> IndexEntry:
    t = run.totals
    return IndexEntry(
        run_id=run.run_id,
        created_at=run.created_at,
        started_at=run.started_at,
        completed_at=run.completed_at,
        updated_at=run.heartbeat_at,
        status=run.status,
        status_reason=run.status_reason,
        # A hybrid run's figures mix live and simulated sessions: it is listed as such, so nothing
        # that counts live runs only (ROI's real savings) takes its simulated fixes for real ones.
        data_source="hybrid" if run.config.hybrid else run.data_source,
        source_file=run.source_file_name,
        findings=t.findings,
        succeeded=t.findings_succeeded,
        failed=t.findings_failed,
        open=t.findings_open,
        pull_requests=t.pull_requests,
        sessions=t.sessions,
        agent_seconds=round(agent_seconds(run), 3),
        speed=run.config.speed,
        max_acu_per_session=run.config.max_acu_per_session,
        acus_reported=t.acus_reported,
        sessions_without_usage=t.sessions_without_usage,
        held_back=dict(Counter(h.reason for h in run.held_back)),
    )


def upsert_run(runs_dir: Path, entry: IndexEntry) -> None:
    path = index_path(runs_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock", timeout=LOCK_TIMEOUT_SECONDS):
        # Every writer holds this lock while its temp file exists, so any temp file seen
        # here was left by a writer that was killed mid-write.
        for leftover in path.parent.glob(f"{TEMP_PREFIX}{INDEX_NAME}.*"):
            leftover.unlink(missing_ok=True)
        # Damaged: refused, never written over. Missing: rebuilt first, so no run drops out.
        index = read_index(runs_dir) if os.path.lexists(path) else rebuilt_index(runs_dir)
        runs = [r for r in index.runs if r.run_id != entry.run_id]
        runs.append(entry)
        runs.sort(key=lambda r: r.created_at, reverse=True)
        data = RunIndex(runs=runs).model_dump(mode="json")
        atomic_write_bytes(path, json.dumps(data, indent=1).encode())
