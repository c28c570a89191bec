"""Number inputs for settings, generated from their declarations (engine/settings/run_settings.py and
engine/settings/environment.py), so the Launch form and the Settings page offer each setting with the
range and default the engine checks."""

from __future__ import annotations

from typing import Any

import streamlit as st
from pydantic import BaseModel

from engine.settings import run_settings
from engine.settings.run_settings import RUN_SETTINGS, RunSettings


def input_bounds(name: str, model: type[BaseModel] = RunSettings) -> dict[str, Any]:
    """number_input's keyword arguments for the field's range. An exclusive bound is shown as
    inclusive: the engine refuses the bound itself, with a message naming the setting."""
    b = run_settings.bounds(name, model)
    cast = int if b.is_int else float
    kwargs: dict[str, Any] = {"step": 1} if b.is_int else {"format": "%g"}
    if b.low is not None:
        kwargs["min_value"] = cast(b.low)
    if b.high is not None:
        kwargs["max_value"] = cast(b.high)
    return kwargs


def typed(name: str, value: Any, model: type[BaseModel] = RunSettings) -> int | float:
    return int(value) if run_settings.bounds(name, model).is_int else float(value)


def setting_input(
    name: str,
    value: Any,
    *,
    key: str,
    label: str | None = None,
    help: str | None = None,
    model: type[BaseModel] = RunSettings,
    container: Any = st,
) -> int | float:
    """A number input for setting `name`, starting at `value` (labelled with the run setting's
    title unless `label` is given)."""
    if label is None:
        label = run_settings.title(name) if name in RUN_SETTINGS else name
    return container.number_input(
        label,
        value=typed(name, value, model),
        key=key,
        help=help if help is not None else run_settings.help_text(name),
        **input_bounds(name, model),
    )
