"""Session tags. The per-attempt tag is the deterministic key that makes creates idempotent
and lets `resume` find a session whose create answer was lost."""

from __future__ import annotations

import hashlib
import re

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def run_tag(run_id: str) -> str:
    return f"patchwave-run-{run_id}"


def wave_tag(run_id: str, wave_number: int) -> str:
    return f"patchwave-run-{run_id}-wave-{wave_number}"


def attempt_tag(run_id: str, finding_id: str, attempt: int) -> str:
    """Readable, and unique: the hash covers run and finding unambiguously, since either
    may contain the '-' that joins them."""
    slug = _UNSAFE.sub("_", finding_id)[:48]
    digest = hashlib.sha256(f"{run_id}\x00{finding_id}".encode()).hexdigest()[:12]
    return f"patchwave-{run_id}-{slug}-{digest}-a{attempt}"


def session_tags(run_id: str, wave_number: int, finding_id: str, attempt: int) -> list[str]:
    return [
        "patchwave",
        run_tag(run_id),
        wave_tag(run_id, wave_number),
        attempt_tag(run_id, finding_id, attempt),
    ]
