"""Reading the app-editable settings file, as a source of `Settings` (engine/settings/environment.py).

The file's keys, how its path is found and where it sits among the sources are declared here;
saving it, and telling where each value comes from, is engine/settings/file.py, which builds on
`Settings` and so cannot be imported by it.

    init kwargs (CLI flags) > environment > `.env` > settings file > defaults
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
from pydantic_settings import PydanticBaseSettingsSource, TomlConfigSettingsSource

from engine.core.errors import BadInputError
from engine.settings.run_settings import RUN_SETTINGS

# The settings an admin may change from the app, in the order the page shows them: every run
# setting (declared in engine/settings/run_settings.py), then the limits on one findings file, then
# what an ACU costs and buys (the cost figures).
EDITABLE: tuple[str, ...] = (
    *RUN_SETTINGS,
    "max_upload_bytes",
    "max_rows_per_run",
    "parse_time_limit_seconds",
    "price_per_acu",
    "minutes_per_acu",
)
_FORBIDDEN_WORDS = ("key", "secret", "token", "password")
assert not any(w in name for name in EDITABLE for w in _FORBIDDEN_WORDS)

ENV_NAME = "SETTINGS_FILE"


class SettingsFileError(BadInputError):
    """The settings file is unreadable or not valid TOML."""


def read_settings_file(path: Path) -> dict[str, Any]:
    """The editable values the file sets (unvalidated); a missing file sets none."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise SettingsFileError(f"settings file {path} cannot be read: {exc}") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsFileError(f"settings file {path} is not valid TOML: {exc}") from exc
    return {name: data[name] for name in EDITABLE if name in data}


class SettingsFileSource(TomlConfigSettingsSource):
    """`TomlConfigSettingsSource` limited to the editable keys, with errors naming the file."""

    def _read_file(self, file_path: Path) -> dict[str, Any]:
        return read_settings_file(file_path)


def env_file_of(settings_cls: type) -> str | None:
    env_file = settings_cls.model_config.get("env_file")
    return env_file if isinstance(env_file, str | os.PathLike) else None


def from_environ(name: str) -> str | None:
    wanted = name.upper()
    for key, value in os.environ.items():
        if key.upper() == wanted:
            return value
    return None


def from_dotenv(settings_cls: type, name: str) -> str | None:
    env_file = env_file_of(settings_cls)
    if env_file is None or not Path(env_file).is_file():
        return None
    values = dotenv_values(env_file, encoding=settings_cls.model_config.get("env_file_encoding"))
    wanted = name.upper()
    return next((v for k, v in values.items() if k.upper() == wanted and v is not None), None)


def resolve_path(settings_cls: type, init_kwargs: dict[str, Any] | None = None) -> Path:
    """The settings file: `settings_file=` given, else SETTINGS_FILE in the environment, else
    in `.env`, else the field's default."""
    given = (init_kwargs or {}).get("settings_file")
    if given is not None:
        return Path(given)
    found = from_environ(ENV_NAME) or from_dotenv(settings_cls, ENV_NAME)
    if found:
        return Path(found)
    return Path(settings_cls.model_fields["settings_file"].default)


def customise_sources(
    settings_cls: type,
    init_settings: PydanticBaseSettingsSource,
    env_settings: PydanticBaseSettingsSource,
    dotenv_settings: PydanticBaseSettingsSource,
    *rest: PydanticBaseSettingsSource,
) -> tuple[PydanticBaseSettingsSource, ...]:
    """For `Settings.settings_customise_sources`: the settings file below `.env`."""
    path = resolve_path(settings_cls, getattr(init_settings, "init_kwargs", None))
    file_source = SettingsFileSource(settings_cls, toml_file=path)
    return (init_settings, env_settings, dotenv_settings, file_source, *rest)
