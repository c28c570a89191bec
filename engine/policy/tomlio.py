"""Reading and writing the policy package's TOML files with errors that name file and key.

`services.toml` and `policy.toml` are edited by hand as well as from the app, so every
problem is reported as `<file>: <dotted key>: <what is wrong>`, never as a traceback or a
pydantic dump. Writes are atomic (temp file + replace) under `<file>.lock`, so concurrent
savers never interleave and readers never see a torn file.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

import tomli_w
from filelock import FileLock

from engine.core.errors import BadInputError, reading
from engine.storage.atomic import atomic_write_bytes

LOCK_TIMEOUT_SECONDS = 10


class Where:
    """A position in a TOML file, for error messages: file name plus dotted key."""

    def __init__(self, path: Path, key: str = "") -> None:
        self.path = path
        self.key = key

    def __truediv__(self, part: str | int) -> Where:
        if isinstance(part, int):
            return Where(self.path, f"{self.key}[{part}]")
        # Keys that are not bare TOML keys are quoted, so the message shows the real name.
        shown = part if part and all(c.isalnum() or c in "-_" for c in part) else f'"{part}"'
        return Where(self.path, f"{self.key}.{shown}" if self.key else shown)

    def error(self, problem: str) -> BadInputError:
        where = f"{self.path}: {self.key}: " if self.key else f"{self.path}: "
        return BadInputError(where + problem)


def read_toml(path: Path) -> dict[str, Any] | None:
    """The file's tables, or None when it does not exist; bad TOML -> BadInputError."""
    path = Path(path)
    if not path.exists():
        return None
    with reading(path):
        data = path.read_bytes()
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise BadInputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise BadInputError(f"{path}: not valid TOML: {exc}") from exc


def write_toml(path: Path, document: dict[str, Any], header: str = "") -> None:
    """Atomic write of `document` under `<path>.lock`; the folder is created when missing."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (header + tomli_w.dumps(document)).encode("utf-8")
    with FileLock(str(path) + ".lock", timeout=LOCK_TIMEOUT_SECONDS):
        atomic_write_bytes(path, data)


def shown(value: Any) -> str:
    """A value as the user wrote it in TOML, for "got ..." in messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    return repr(value)


def table(value: Any, where: Where) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise where.error(f"expected a table, got {shown(value)}")
    return value


def reject_unknown(data: dict[str, Any], allowed: tuple[str, ...], where: Where) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise (where / unknown[0]).error(f"unknown key (expected one of: {', '.join(allowed)})")


def whole(
    value: Any, where: Where, minimum: int, maximum: int | None = None, what: str = "a whole number"
) -> int:
    """An int in range; bools and floats are refused (TOML has both, and 1.5 sessions is a typo)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise where.error(f"expected {what}, got {shown(value)}")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"{minimum}-{maximum}" if maximum is not None else f">= {minimum}"
        raise where.error(f"expected {what} {bound}, got {value}")
    return value


def number(value: Any, where: Where, *, above: float, at_most: float | None = None) -> float:
    """A finite number > `above` (and <= `at_most`); ints are accepted."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise where.error(f"expected a number, got {shown(value)}")
    if value <= above or (at_most is not None and value > at_most):
        bound = f"> {above}" + (f" and <= {at_most}" if at_most is not None else "")
        raise where.error(f"expected a number {bound}, got {value}")
    return float(value)


def text(value: Any, where: Where) -> str:
    if not isinstance(value, str) or not value.strip():
        raise where.error(f"expected a non-empty string, got {shown(value)}")
    return value.strip()


def choice(value: Any, where: Where, options: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value.strip().lower() not in options:
        raise where.error(f"expected one of {'/'.join(options)}, got {shown(value)}")
    return value.strip().lower()
