"""`runs/_shared/index.json`: one line per run for the history list. Several engines and launchers
write it, so every change is read-modify-replace under a file lock."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from filelock import FileLock
from pydantic import BaseModel, Field

from engine.analytics.timing import agent_seconds
from engine.models import BatchRun, RunStatus
from engine.runs.atomic import TEMP_PREFIX, atomic_write_bytes
from engine.runs.shared import shared_dir

INDEX_NAME = "index.json"
LOCK_TIMEOUT_SECONDS = 30


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
    agent_seconds: float = 0.0  # on the agent's clock (see engine.analytics.timing)
    speed: float = 1.0
    max_acu_per_session: int = 0


class RunIndex(BaseModel):
    runs: list[IndexEntry] = Field(default_factory=list)


def index_path(runs_dir: Path) -> Path:
    return shared_dir(runs_dir) / INDEX_NAME


def read_index(runs_dir: Path) -> RunIndex:
    path = index_path(runs_dir)
    try:
        return RunIndex.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        return RunIndex()


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
        data_source=run.data_source,
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
    )


def upsert_run(runs_dir: Path, entry: IndexEntry) -> None:
    path = index_path(runs_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock", timeout=LOCK_TIMEOUT_SECONDS):
        # Every writer holds this lock while its temp file exists, so any temp file seen
        # here was left by a writer that was killed mid-write.
        for leftover in path.parent.glob(f"{TEMP_PREFIX}{INDEX_NAME}.*"):
            leftover.unlink(missing_ok=True)
        index = read_index(runs_dir)
        runs = [r for r in index.runs if r.run_id != entry.run_id]
        runs.append(entry)
        runs.sort(key=lambda r: r.created_at, reverse=True)
        data = RunIndex(runs=runs).model_dump(mode="json")
        atomic_write_bytes(path, json.dumps(data, indent=1).encode())
