"""Clocks: durations on a monotonic clock, wall time for display and across processes.

Every duration the engine acts on (session timeouts, poll pauses, the breaker's cool-down,
the state's heartbeat cadence, the simulator's session progress) is measured with
`time.monotonic()`, which setting the system clock (an NTP step, a person fixing the date, a
VM resumed from a snapshot) does not move. Wall time is kept for what people read and for
comparisons between processes.

A comparison between processes uses a `ClockMark`: the wall time, the monotonic reading and the
boot it was taken in. CLOCK_MONOTONIC counts from the boot and is shared by every process of
that boot, so two marks of one boot are compared exactly, whatever the wall clock did; only
marks of different boots (a reboot, another host) fall back to their wall times, and callers
must bound what they conclude from those."""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

BOOT_ID_FILE = Path("/proc/sys/kernel/random/boot_id")  # Linux: a new random id at every boot


@cache
def boot_id() -> str | None:
    """This boot's id, or None where the system does not say (then marks compare wall times)."""
    try:
        return BOOT_ID_FILE.read_text(encoding="ascii").strip() or None
    except OSError:
        return None


HOST_NAME_ENV = "PATCHWAVE_HOST_NAME"


def host_name() -> str:
    """The name this machine goes by in run states and engine locks: the hostname, unless
    PATCHWAVE_HOST_NAME names it (hostnames that are not unique or not stable, such as nodes
    of a test that share one machine)."""
    return os.environ.get(HOST_NAME_ENV) or socket.gethostname()


@dataclass(frozen=True)
class ClockMark:
    """One moment as this process saw it: wall time (epoch seconds), monotonic reading, boot."""

    wall: float
    monotonic: float | None
    boot: str | None

    @classmethod
    def now(cls) -> ClockMark:
        return cls(wall=time.time(), monotonic=time.monotonic(), boot=boot_id())


@dataclass(frozen=True)
class Elapsed:
    """Seconds between two marks. `exact`: measured on one boot's monotonic clock. Otherwise
    the difference of two wall times, which a set clock or a skewed host distorts either way
    (it may be negative)."""

    seconds: float
    exact: bool


def elapsed_between(earlier: ClockMark, later: ClockMark) -> Elapsed:
    same_boot = earlier.boot is not None and earlier.boot == later.boot
    if same_boot and earlier.monotonic is not None and later.monotonic is not None:
        seconds = later.monotonic - earlier.monotonic
        # Negative only if the two processes do not share the clock (a container with its
        # own time namespace): then the monotonic readings say nothing.
        if seconds >= 0:
            return Elapsed(seconds, exact=True)
    return Elapsed(later.wall - earlier.wall, exact=False)
