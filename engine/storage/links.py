"""Run files are never reached through symbolic links.

A link inside a run folder (or a run folder that is itself a link) would make the engine
append to, lock or truncate a file outside the runs folder. Writers open run files with
`O_NOFOLLOW` (`open_no_follow`), and whoever opens a run folder (the engine, the CLI's
commands on a run) first refuses one that holds a link (`refuse_links`). `links_in` is the
check alone, for a caller that shows a damaged run instead of refusing it."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from engine.core.errors import BadInputError

# Not every platform has it; where it is missing, the folder check still applies.
O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class SymlinkRefusedError(BadInputError):
    """A run file or run folder is a symbolic link; nothing was written through it."""

    def __init__(self, link: Path, message: str) -> None:
        super().__init__(message)
        self.link = link


def open_no_follow(path: Path, flags: int, mode: int = 0o666) -> int:
    """`os.open` that refuses a symbolic link as the last component of `path`."""
    try:
        return os.open(path, flags | O_NOFOLLOW | _O_CLOEXEC, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP or (exc.errno == errno.EMLINK and os.path.islink(path)):
            raise SymlinkRefusedError(
                Path(path),
                f"{path} is a symbolic link{_target(Path(path))}; run files are never written "
                "through links: replace it with a regular file (or move the run folder away)",
            ) from exc
        raise


def links_in(folder: Path) -> list[Path]:
    """The symbolic links at `folder` itself or anywhere inside it (never followed), in a
    stable order; empty when there are none or the folder does not exist."""
    folder = Path(folder)
    if folder.is_symlink():
        return [folder]
    found: list[Path] = []
    for top, dirs, files in os.walk(folder, followlinks=False, onerror=lambda _exc: None):
        for name in sorted(dirs + files):
            entry = Path(top) / name
            if entry.is_symlink():
                found.append(entry)
        dirs.sort()
    return found


def refuse_links(folder: Path, what: str = "run folder") -> None:
    """Raises `SymlinkRefusedError` (bad input: exit 2) naming the first link found."""
    found = links_in(folder)
    if not found:
        return
    link = found[0]
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    if link == Path(folder):
        message = (
            f"{what} {folder} is a symbolic link{_target(link)}; Patchwave does not follow "
            "links in the runs folder: move the real folder into the runs folder in its place"
        )
    else:
        message = (
            f"{what} {folder} contains a symbolic link: {link}{_target(link)}{more}; Patchwave "
            "does not follow links in a run folder: replace each link with the real file, "
            "or move the run folder out of the runs folder"
        )
    raise SymlinkRefusedError(link, message)


def _target(link: Path) -> str:
    try:
        return f" (to {os.readlink(link)})"
    except OSError:
        return ""
