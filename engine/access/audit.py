"""The audit trail: who did what to which run, in `runs/_shared/audit.jsonl`.

Append-only, one JSON object per line, written under a file lock (several app sessions and
processes may act at once) and fsynced. Secrets never enter it: any detail whose name looks
like a key, secret or token is replaced by a placeholder, at any depth."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from filelock import FileLock
from pydantic import BaseModel, Field, SecretStr, ValidationError

from engine.access.roles import Action, Identity
from engine.core.models import utcnow
from engine.runs.shared import shared_dir
from engine.storage.appendlog import open_for_append

AUDIT_FILE = "audit.jsonl"
LOCK_TIMEOUT_SECONDS = 10
REDACTED = "[redacted]"
_SECRET_WORDS = ("key", "secret", "token", "password")


class AuditEntry(BaseModel):
    ts: datetime = Field(default_factory=utcnow)
    actor: str
    role: str
    action: str
    target: str
    details: dict[str, Any] = Field(default_factory=dict)


def audit_path(runs_dir: Path) -> Path:
    return shared_dir(runs_dir) / AUDIT_FILE


def _secret_name(name: object) -> bool:
    lowered = str(name).lower()
    return any(word in lowered for word in _SECRET_WORDS)


def scrub(value: Any) -> Any:
    """`value` with secret-named entries redacted and SecretStr values never revealed."""
    if isinstance(value, SecretStr):
        return REDACTED
    if isinstance(value, dict):
        return {str(k): (REDACTED if _secret_name(k) else scrub(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def record_audit(
    runs_dir: Path,
    identity: Identity,
    action: Action | str,
    target: str,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        actor=identity.email,
        role=identity.role.name,
        action=action.value if isinstance(action, Action) else str(action),
        target=target,
        details=scrub(details or {}),
    )
    path = audit_path(runs_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock", timeout=LOCK_TIMEOUT_SECONDS):
        handle = open_for_append(path)
        try:
            handle.write(entry.model_dump_json().encode() + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            handle.close()
    return entry


def read_audit(runs_dir: Path) -> list[AuditEntry]:
    """Every entry in the order written; unreadable lines (a torn last line) are skipped."""
    try:
        lines = audit_path(runs_dir).read_bytes().splitlines()
    except FileNotFoundError:
        return []
    entries = []
    for line in lines:
        try:
            entries.append(AuditEntry.model_validate(json.loads(line)))
        except (ValueError, ValidationError):
            continue
    return entries
