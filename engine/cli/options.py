"""The command line's shared options: the runs folder, a file's service and repository, each run
setting as a flag generated from its declaration, and the settings with the flags applied. Every
command module (engine/cli/main.py, engine/cli/ledger.py) builds on these."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from engine.core.errors import BadInputError
from engine.settings import run_settings
from engine.settings.environment import Settings, describe_invalid_settings, load_settings
from engine.settings.run_settings import RUN_SETTINGS


def runs_dir_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--runs-dir",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="RUNS_DIR",
        default=None,
        help="Folder holding the runs (default ./runs; env RUNS_DIR).",
    )(fn)


def source_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--service/--repo: what a scanner file that does not name them belongs to."""
    fn = click.option("--repo", "repo_url", help="Repository URL for findings that do not name one.")(fn)
    return click.option(
        "--service", "service_name", help="Service for findings that do not name one (scanner files)."
    )(fn)


def setting_type(name: str) -> click.ParamType:
    """The click type of a run setting, with the range it is declared with."""
    b = run_settings.bounds(name)
    if b.low is None and b.high is None:
        return click.INT if b.is_int else click.FLOAT
    kind = click.IntRange if b.is_int else click.FloatRange
    return kind(b.low, b.high, min_open=b.low_open, max_open=b.high_open)


def run_setting_option(name: str, *, default: Any = None) -> Callable[[Callable[..., Any]], Any]:
    """The option of one run setting, generated from its declaration. `default=None`: not
    given on the command line, so the setting's own value applies (environment, `.env`,
    settings file, default)."""
    help_text = run_settings.help_text(name)
    if default is None:
        help_text += f" (default {run_settings.default(name)!r}, or env {name.upper()})"
    return click.option(
        run_settings.flag(name),
        name,
        type=setting_type(name),
        default=default,
        show_default=default is not None,
        help=help_text,
    )


def run_setting_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Every run setting as an option, in the declaration's order."""
    for name in reversed(RUN_SETTINGS):
        fn = run_setting_option(name)(fn)
    return fn


def settings_for(runs_dir: Path | None, **overrides: Any) -> Settings:
    """The settings, flags applied. Invalid settings (a flag, an environment variable, the
    settings file) are bad input named as settings; nothing else is (files name themselves)."""
    from pydantic import ValidationError

    try:
        return load_settings(runs_dir=runs_dir, **overrides)
    except ValidationError as exc:
        raise BadInputError(f"invalid setting: {describe_invalid_settings(exc)}") from exc
