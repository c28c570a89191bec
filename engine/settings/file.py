"""The app-editable settings file (setting `settings_file`, default `./patchwave.toml`).

Admins change a fixed set of tuning settings from the app (the Settings page); the values
land in this flat TOML file, which `Settings` reads as a source below the environment:

    init kwargs (CLI flags) > environment > `.env` > settings file > defaults

Only the keys in `EDITABLE` are read from or written to the file; any other key in it is
ignored. The API key, base URL, roles file, `require_auth`, the sign-in safeguards
(`allow_unauthenticated_remote`, `allow_missing_email_verified`), and anything named like a key,
secret or token never come from it and are never written to it.

The file's own path is a setting too, so it is resolved before the sources are built: an
explicit `settings_file=` keyword, else `SETTINGS_FILE` in the environment, else in `.env`,
else the default. The file itself cannot name another file.

Saving (`save_settings`) validates the merged values with `Settings`' own field definitions,
writes the file atomically under a file lock, and records one audit entry."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
from filelock import FileLock
from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from engine.access.audit import record_audit
from engine.access.roles import Action, Identity, require
from engine.core.errors import BadInputError
from engine.settings.environment import Settings
from engine.settings.file_source import (
    EDITABLE,
    SettingsFileError,
    env_file_of,
    from_dotenv,
    from_environ,
    read_settings_file,
    resolve_path,
)
from engine.storage.atomic import atomic_write_bytes

__all__ = ["EDITABLE", "SettingsFileError", "origins", "read_settings_file", "save_settings"]

LOCK_TIMEOUT_SECONDS = 10
HEADER = (
    "# Patchwave settings, changed from the app's Settings page (each change is audited).\n"
    "# Environment variables and .env win over this file; command-line flags win over both.\n"
)

Origin = str  # "environment", ".env", "settings file" or "default"


# --- where each value comes from -------------------------------------------------------------


def default_of(name: str) -> Any:
    return Settings.model_fields[name].get_default(call_default_factory=True)


def origins(settings_cls: type | None = None) -> dict[str, Origin]:
    """Where each editable setting's effective value comes from (CLI flags aside)."""
    if settings_cls is None:
        settings_cls = Settings
    in_file = read_settings_file(resolve_path(settings_cls))
    env_file = env_file_of(settings_cls)
    dotenv = (
        {k.upper() for k, v in dotenv_values(env_file).items() if v is not None}
        if env_file and Path(env_file).is_file()
        else set()
    )
    found: dict[str, Origin] = {}
    for name in EDITABLE:
        if from_environ(name) is not None:
            found[name] = "environment"
        elif name.upper() in dotenv:
            found[name] = ".env"
        elif name in in_file:
            found[name] = "settings file"
        else:
            found[name] = "default"
    return found


# --- settings earlier versions had ----------------------------------------------------------

# Service weights were settings before service importance moved to the services file; their
# values are read only to move them there once (engine/policy/weights_migration.py).
RETIRED: tuple[str, ...] = ("service_weights", "default_service_weight")


def retired_values(settings_cls: type) -> list[tuple[str, Any, Origin]]:
    """Each retired setting that is still configured: (name, raw value, where), the
    environment first, then `.env`, then the settings file (their old precedence)."""
    in_file = _read_toml(resolve_path(settings_cls))
    found = []
    for name in RETIRED:
        if (value := from_environ(name)) is not None:
            found.append((name, value, "environment"))
        elif (value := from_dotenv(settings_cls, name)) is not None:
            found.append((name, value, ".env"))
        elif name in in_file:
            found.append((name, in_file[name], "settings file"))
    return found


def drop_retired(path: Path) -> bool:
    """Removes the retired settings from the settings file; True when it held any."""
    path = Path(path)
    with FileLock(str(path) + ".lock", timeout=LOCK_TIMEOUT_SECONDS):
        if not any(name in _read_toml(path) for name in RETIRED):
            return False
        atomic_write_bytes(path, render_toml(read_settings_file(path)))
    return True


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsFileError(f"settings file {path} cannot be read: {exc}") from exc


# --- saving ------------------------------------------------------------------------------------

_editable_model: type[BaseModel] | None = None


def _model() -> type[BaseModel]:
    """A model of the editable fields with `Settings`' own types and bounds."""
    global _editable_model
    if _editable_model is None:
        fields: dict[str, Any] = {
            name: (Settings.model_fields[name].annotation, Settings.model_fields[name]) for name in EDITABLE
        }
        _editable_model = create_model(
            "EditableSettings", __config__=ConfigDict(extra="forbid", allow_inf_nan=False), **fields
        )
    return _editable_model


def _problems(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(map(str, error["loc"])) or "settings"
        parts.append(f"{where}: {error['msg']} (got {error.get('input')!r})")
    return "; ".join(parts)


def validate_values(values: dict[str, Any]) -> dict[str, Any]:
    """`values` (every editable setting) validated and coerced; BadInputError names the field."""
    try:
        return _model().model_validate(values).model_dump()
    except ValidationError as exc:
        raise BadInputError(f"invalid setting: {_problems(exc)}") from exc


def save_settings(
    path: Path, changes: dict[str, Any], actor: Identity, runs_dir: Path
) -> dict[str, tuple[Any, Any]]:
    """Applies `changes` to the settings file; returns {field: (old, new)} for what changed.

    "old" is the file's value, or the default when the file did not set it. A bad value or a
    non-editable name raises BadInputError and writes nothing. One audit entry is recorded
    (action "change_settings", target the file's name) when anything changed."""
    require(actor, Action.change_settings)
    path = Path(path)
    refused = sorted(set(changes) - set(EDITABLE))
    if refused:
        raise BadInputError(f"these settings cannot be changed from the app: {', '.join(refused)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock", timeout=LOCK_TIMEOUT_SECONDS):
        current = read_settings_file(path)
        old = {name: current.get(name, default_of(name)) for name in EDITABLE}
        new = validate_values({**old, **changes})
        changed = {
            name: (old[name], new[name]) for name in EDITABLE if name in changes and new[name] != old[name]
        }
        if not changed:
            return {}
        written = {**current, **{name: new[name] for name in changed}}
        atomic_write_bytes(path, render_toml(written))
        details = {name: {"old": o, "new": n} for name, (o, n) in changed.items()}
        record_audit(runs_dir, actor, Action.change_settings, path.name, details)
    return changed


# --- writing TOML (flat schema: scalars, then one table per dict) ------------------------------


def _string(text: str) -> str:
    out = []
    for ch in text:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    raise TypeError(f"cannot write {type(value).__name__} to the settings file")


def render_toml(values: dict[str, Any]) -> bytes:
    """The settings file's bytes: editable keys only, in `EDITABLE` order."""
    lines = [HEADER]
    tables = []
    for name in EDITABLE:
        if name not in values:
            continue
        value = values[name]
        if isinstance(value, dict):
            tables.append((name, value))
        else:
            lines.append(f"{name} = {_scalar(value)}\n")
    for name, table in tables:
        lines.append(f"\n[{name}]\n")
        lines.extend(f"{_string(str(k))} = {_scalar(v)}\n" for k, v in table.items())
    text = "".join(lines)
    tomllib.loads(text)  # what we write must read back
    return text.encode("utf-8")
