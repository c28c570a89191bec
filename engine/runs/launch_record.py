"""`launch.json`: how a run was configured, written once by its launcher."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from engine.models import RunConfig, utcnow
from engine.runs.damage import parse_run_file
from engine.runs.paths import RunPaths


class LaunchRecord(BaseModel):
    run_id: str
    created_at: datetime = Field(default_factory=utcnow)
    source_file_name: str
    config: RunConfig
    service_weights: dict[str, int]
    default_service_weight: int


def read_launch(paths: RunPaths) -> LaunchRecord:
    """The run's launch record; DamagedFileError names the file when it is unusable."""
    return parse_run_file(paths.launch, LaunchRecord, "launch record")
