"""`launch.json`: how a run was configured, written once by its launcher."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from engine.core.models import RunConfig, utcnow
from engine.runs.damage import parse_run_file
from engine.runs.paths import RunPaths


class LaunchRecord(BaseModel):
    run_id: str
    created_at: datetime = Field(default_factory=utcnow)
    source_file_name: str
    upload: str | None = None  # the upload's name in the run folder; None: an earlier version's run
    config: RunConfig


def read_launch(paths: RunPaths) -> LaunchRecord:
    """The run's launch record; DamagedFileError names the file when it is unusable."""
    return parse_run_file(paths.launch, LaunchRecord, "launch record")
