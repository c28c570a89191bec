"""Waves: consecutive slices of the priority order, numbered from 1."""

from __future__ import annotations

from engine.core.errors import BadInputError
from engine.core.models import Finding, Wave


def plan_waves(findings: list[Finding], wave_size: int) -> list[Wave]:
    if wave_size < 1:
        raise BadInputError(f"wave size must be at least 1, got {wave_size}")
    ordered = sorted(findings, key=lambda f: f.priority_rank or 0)
    return [
        Wave(
            number=i // wave_size + 1,
            finding_ids=[f.finding_id for f in ordered[i : i + wave_size]],
        )
        for i in range(0, len(ordered), wave_size)
    ]
