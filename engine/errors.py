"""Errors the command line turns into exit codes: bad input is 2, everything else 1."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class BadInputError(Exception):
    """The user gave something unusable; the message names the problem."""


class RunNotFoundError(BadInputError):
    def __init__(self, run_id: str, runs_dir: object) -> None:
        super().__init__(f"no run {run_id!r} in {runs_dir}")
        self.run_id = run_id


class PermissionDeniedError(BadInputError):
    """The signed-in identity's role does not allow the action."""

    def __init__(self, action: str, role: str, needed: str, who: str = "") -> None:
        by = f"{who} ({role})" if who else f"role {role!r}"
        super().__init__(f"{by} may not {action}: it needs the {needed!r} role or higher")
        self.action = action
        self.role = role
        self.needed = needed


class RolesFileError(BadInputError):
    """The roles file is unreadable or names an unknown role."""


@contextmanager
def reading(path: Path) -> Iterator[None]:
    """Failures to read a user's file become bad input naming the file and the reason."""
    try:
        yield
    except FileNotFoundError as exc:
        raise BadInputError(f"{path}: no such file") from exc
    except IsADirectoryError as exc:
        raise BadInputError(f"{path}: is a directory, not a file") from exc
    except OSError as exc:
        raise BadInputError(f"{path}: cannot read the file ({exc.strerror})") from exc
