"""Crash-safe file replacement: readers see the old file or the new one, never a torn one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from engine.core.errors import writing

TEMP_PREFIX = ".tmp-"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Temp file in the same folder, fsync, os.replace, fsync of the folder. WriteFailedError
    when the storage refuses (the old file is then left as it was).

    Neither step follows a symbolic link: mkstemp creates the temp file with O_EXCL (and
    O_NOFOLLOW), and os.replace renames over a link at `path`, replacing the link itself,
    never the file it names."""
    folder = path.parent
    with writing(path):  # a full disk is named as this file, not as the temp file
        fd, temp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{path.name}.", dir=folder)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise
    fsync_dir(folder)


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # not supported on this platform
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def clean_temp_files(folder: Path) -> int:
    """Removes temp files a killed writer left behind; returns how many."""
    removed = 0
    for leftover in folder.glob(f"{TEMP_PREFIX}*"):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
            removed += 1
    return removed
