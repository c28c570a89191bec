"""`<runs_dir>/_shared/alerts.jsonl`: every alert delivery outcome, one JSON object per line.

Append-only, written under a file lock (the engine and app processes may both send alerts)
and fsynced, in the house style of `engine/access/audit.py`. Lines hold the webhook's host only:
never a URL path (for Slack the path is the credential) and never the signing secret."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from filelock import FileLock
from pydantic import ValidationError

from engine.alerts.models import AlertDelivery
from engine.runs.shared import shared_dir
from engine.storage.appendlog import open_for_append

ALERT_LOG_FILE = "alerts.jsonl"
LOCK_TIMEOUT_SECONDS = 10


def alert_log_path(runs_dir: Path) -> Path:
    return shared_dir(runs_dir) / ALERT_LOG_FILE


def append_deliveries(path: Path, records: Sequence[AlertDelivery]) -> None:
    """Appends `records` to the log at `path` in one write."""
    if not records:
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = b"".join(record.model_dump_json().encode() + b"\n" for record in records)
    with FileLock(str(path) + ".lock", timeout=LOCK_TIMEOUT_SECONDS):
        handle = open_for_append(path)
        try:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            handle.close()


def read_alert_log(runs_dir: Path) -> list[AlertDelivery]:
    """Every record in the order written; unreadable lines (a torn last line) are skipped."""
    try:
        lines = alert_log_path(runs_dir).read_bytes().splitlines()
    except FileNotFoundError:
        return []
    records = []
    for line in lines:
        try:
            records.append(AlertDelivery.model_validate(json.loads(line)))
        except (ValueError, ValidationError):
            continue
    return records
