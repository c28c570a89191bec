"""Opening an append-only JSON-lines file for its single writer."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

from engine.storage.links import open_no_follow


def open_for_append(path: Path) -> BinaryIO:
    """Opens `path` for appending after cutting off a torn last line.

    A symbolic link at `path` is refused (`SymlinkRefusedError`), never followed: the append
    would land in whatever file the link names.

    A killed writer can leave half a line at the end. Appending after it would glue the next
    record onto the fragment and lose both; the fragment itself holds nothing usable, since
    each record is written whole in one call."""
    fd = open_no_follow(path, os.O_RDWR | os.O_CREAT | os.O_APPEND)
    try:
        handle = os.fdopen(fd, "a+b")
    except BaseException:
        os.close(fd)
        raise
    size = handle.seek(0, os.SEEK_END)
    if size:
        tail_start = max(0, size - 65536)
        handle.seek(tail_start)
        tail = handle.read()
        if not tail.endswith(b"\n"):
            cut = tail.rfind(b"\n")
            handle.truncate(tail_start + cut + 1 if cut >= 0 else (0 if tail_start == 0 else size))
    handle.seek(0, os.SEEK_END)
    return handle
