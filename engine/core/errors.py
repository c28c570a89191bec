"""Errors the command line turns into exit codes: bad input is 2, everything else 1."""

import errno
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# The storage refuses a write: full, over quota, read-only, a file over its size limit, failing.
STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG, errno.EIO})


class BadInputError(Exception):
    """The user gave something unusable; the message names the problem."""


class NothingToDispatchError(BadInputError):
    """Every usable finding of an upload is held back (open PRs, cooldowns, fixed, budget):
    nothing new to do, which is not an error. The CLI prints why and exits 0 (a nightly job
    does not fail); a subclass of BadInputError so a caller that only refuses still refuses."""

    def __init__(self, message: str, reasons: list[str]) -> None:
        super().__init__(message)
        self.reasons = reasons  # the SkipReason value of each held-back finding


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


class DamagedFileError(BadInputError):
    """A file Patchwave itself wrote is unusable: empty, cut short, of the wrong shape, or not a
    regular file at all. The message names the file, the problem and what to do about it."""

    def __init__(self, path: Path | str, problem: str, advice: str = "") -> None:
        self.path = Path(path)
        self.problem = problem
        self.advice = advice
        super().__init__(f"{path} is damaged ({problem})." + (f" {advice}" if advice else ""))

    def __reduce__(self) -> tuple[type, tuple[str, str, str]]:
        # The app caches loaders' results, damage included, by pickling them.
        return (type(self), (str(self.path), self.problem, self.advice))


class WriteFailedError(OSError):
    """A file could not be written: the disk is full, over quota, read-only... An OSError, so
    every handler of failed writes still catches it; its message names the file and the cause."""

    def __init__(self, path: Path | str, cause: OSError) -> None:
        super().__init__(cause.errno, cause.strerror or str(cause), str(path))
        self.path = Path(path)
        # Set by the engine when the run it was executing can be resumed once this is fixed.
        self.resumable_run: str | None = None

    def __str__(self) -> str:
        text = f"cannot write {self.filename}: {self.strerror}"
        if self.resumable_run:
            text += f"; the run is resumable with `python -m engine resume {self.resumable_run}`"
        return text

    def __reduce__(self) -> tuple[type, tuple[str, OSError]]:
        return (type(self), (str(self.path), OSError(self.errno, self.strerror)))


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """The storage refusing a write to `path` becomes WriteFailedError naming the file."""
    try:
        yield
    except WriteFailedError:
        raise
    except OSError as exc:
        if exc.errno in STORAGE_ERRNOS:
            raise WriteFailedError(path, exc) from exc
        raise
