"""The simulator's clock, in epoch seconds: session progress, timestamps and the journal use it.

It reads the wall clock once, at start, and from then on advances with time.monotonic(), so
setting the host's clock neither finishes every session at once (forward) nor freezes them
(back). A restarted simulator continues from its journal's last entry by the time that really
passed since (see engine.core.clock): exactly on the same boot; otherwise by the wall clock, but
never back before that entry."""

from __future__ import annotations

import time
from typing import Any

from engine.core.clock import ClockMark, boot_id, elapsed_between


class SimClock:
    def __init__(self, last_entry: dict[str, Any] | None = None) -> None:
        mark = ClockMark.now()
        start = mark.wall
        if last_entry is not None and isinstance(last_entry.get("at"), int | float):
            at = float(last_entry["at"])
            mono, boot = last_entry.get("mono"), last_entry.get("boot")
            then = ClockMark(
                at,
                float(mono) if isinstance(mono, int | float) else None,
                boot if isinstance(boot, str) else None,
            )
            start = at + max(0.0, elapsed_between(then, mark).seconds)
        assert mark.monotonic is not None
        self._start_wall, self._start_mono = start, mark.monotonic

    def now(self) -> float:
        return self._start_wall + (time.monotonic() - self._start_mono)

    def stamp(self) -> dict[str, Any]:
        """The fields a journal entry carries: the simulator's time, and what a later simulator
        needs to tell how much time passed since (the monotonic reading and the boot)."""
        mono = time.monotonic()
        return {"at": self._start_wall + (mono - self._start_mono), "mono": mono, "boot": boot_id()}
