"""Reading the files Patchwave writes into the runs folder, and saying exactly how one is damaged.

A run file is damaged when it is empty, cut short, valid JSON of the wrong shape, or not a
regular file at all (a directory, a symbolic link, a pipe). Readers raise DamagedFileError
naming the file, the problem and what to do; an absent file stays FileNotFoundError, since
most files appear only at some point of a run's life."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from engine.core.errors import DamagedFileError

RUN_FILE_ADVICE = "Move the run folder away or restore the file; other runs are unaffected."
_TAIL_BYTES = 64

M = TypeVar("M", bound=BaseModel)


def kind_problem(mode: int) -> str | None:
    """What is wrong with a run file of this `st_mode`, or None for a regular file."""
    if stat.S_ISLNK(mode):
        return "it is a symbolic link, not a file"
    if stat.S_ISDIR(mode):
        return "it is a directory, not a file"
    if not stat.S_ISREG(mode):
        return "it is not a regular file"
    return None


def check_file_kind(path: Path, advice: str = RUN_FILE_ADVICE) -> None:
    """Raises DamagedFileError when `path` exists but is not a regular file."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    problem = kind_problem(mode)
    if problem is not None:
        raise DamagedFileError(path, problem, advice)


def read_run_file(path: Path, advice: str = RUN_FILE_ADVICE) -> bytes:
    """The whole file. It is opened without following a symbolic link and without blocking on a
    pipe, so a file swapped for either can neither point the reader elsewhere nor hang it."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise DamagedFileError(path, "it is a symbolic link, not a file", advice) from exc
        if exc.errno == errno.EISDIR:
            raise DamagedFileError(path, "it is a directory, not a file", advice) from exc
        raise DamagedFileError(path, f"it cannot be read: {exc.strerror}", advice) from exc
    problem = kind_problem(os.fstat(fd).st_mode)
    if problem is not None:
        os.close(fd)
        raise DamagedFileError(path, problem, advice)
    with os.fdopen(fd, "rb") as handle:
        try:
            return handle.read()
        except OSError as exc:
            raise DamagedFileError(path, f"it cannot be read: {exc.strerror}", advice) from exc


def parse_run_file(path: Path, model: type[M], what: str, advice: str = RUN_FILE_ADVICE) -> M:
    """The file read as `model`; `what` names what it should hold ("run state")."""
    data = read_run_file(path, advice)
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        raise DamagedFileError(path, describe_invalid(exc, data, what), advice) from exc


def describe_invalid(exc: ValidationError, data: bytes, what: str) -> str:
    """One line: empty, truncated at byte N, invalid JSON (where), or the wrong shape (which keys)."""
    if not data.strip():
        return "it is empty"
    errors = exc.errors(include_url=False)
    first = errors[0]
    if first["type"] == "json_invalid":
        detail = str((first.get("ctx") or {}).get("error") or first["msg"])
        if detail.startswith("EOF"):
            return f"truncated JSON: it ends at byte {len(data)}, in the middle of a value"
        return f"invalid JSON: {detail}"
    shown = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'top level'}: {e['msg']}" for e in errors[:3])
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return f"valid JSON but not a {what}: {shown}{more}".replace("\n", " ")


def quick_problem(path: Path) -> str | None:
    """A cheap look at a JSON file for listings (a stat and its last bytes, never a parse): not
    a regular file, empty, or not ending where a JSON object ends. A file that passes may still
    be damaged; the full read says so when the file is opened."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    problem = kind_problem(info.st_mode)
    if problem is not None:
        return problem
    if info.st_size == 0:
        return "it is empty"
    try:
        with path.open("rb") as handle:
            handle.seek(max(0, info.st_size - _TAIL_BYTES))
            tail = handle.read().rstrip()
    except OSError as exc:
        return f"it cannot be read: {exc.strerror}"
    if not tail.endswith(b"}"):
        return f"truncated JSON: it ends at byte {info.st_size}, in the middle of a value"
    return None
