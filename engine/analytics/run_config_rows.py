"""A run's frozen settings as a reader sees them: each one's label (the run setting's title, or
its name in words), and its value in words, never a Python literal."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from engine.analytics import formatting as fmt
from engine.core.models import RunConfig
from engine.settings.run_settings import title

# The settings of how a run was started, which have no title of their own.
_TITLES = {
    "data_source": "Data",
    "api_base_url": "Devin API address",
    "only_wave": "Only wave",
    "agent_overrides": "Service prompt overrides",
    "acu_caps": "ACU cap rules",
    "sim_pull_pages_url": "Simulated pull request pages",
    "dry_run": "Dry run",
    "ledger": "Findings ledger",
    "stall_minutes_by_category": "Stall minutes by category",
}


def _value(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if value is None:
        return {"api_base_url": "the built-in simulated API", "ledger": "not used"}.get(name, fmt.DASH)
    if isinstance(value, dict):
        if not value:
            return "none"
        return ", ".join(f"{fmt.label(str(k))}: {_value(name, v)}" for k, v in value.items())
    if isinstance(value, list):
        return "none" if not value else f"{len(value):,} rule{'s' if len(value) != 1 else ''}"
    if isinstance(value, BaseModel):
        return (
            "used"
            if name == "ledger"
            else ", ".join(f"{fmt.label(k)}: {_value(k, v)}" for k, v in value.model_dump().items())
        )
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        return f"{value:,}"
    return fmt.label(str(value)) if name == "data_source" else str(value)


def run_config_rows(config: RunConfig) -> list[dict[str, str]]:
    """One row per setting: `setting` (its label) and `value` (in words)."""
    rows = []
    for name in RunConfig.model_fields:
        label = _TITLES.get(name) or title(name, RunConfig)
        rows.append({"setting": label, "value": _value(name, getattr(config, name))})
    return rows
