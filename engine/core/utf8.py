"""Checking that bytes are UTF-8 without building their text: a megabyte at a time, so a file
that is refused costs no copy of itself."""

from __future__ import annotations

import codecs

_CHUNK = 1 << 20


def is_utf8(data: bytes) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start in range(0, len(data), _CHUNK):
            decoder.decode(view[start : start + _CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True
