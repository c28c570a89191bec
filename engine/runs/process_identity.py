"""Which process is a run's engine?

A pid alone does not say (pids are reused), and neither does a start time in epoch seconds:
psutil derives it from the boot time the kernel reports, and that moves whenever the system
clock is set, so after a clock step the live engine would look like a stranger. An engine is
named by the host and boot it runs in, its pid, and its start time in clock ticks since boot
(Linux: /proc/<pid>/stat), which nothing moves. Where there are no ticks (another system, an
old state file), the epoch start time is compared instead, as before."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import psutil

from engine.core.clock import boot_id, host_name

CREATE_TIME_TOLERANCE = 1.0  # seconds; psutil's epoch start times are rounded to clock ticks


def start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot, or None where /proc does not say."""
    try:
        data = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may hold spaces or parentheses, so split after the
    # last ')'. starttime is field 22 overall, the 20th after comm.
    fields = data[data.rfind(b")") + 2 :].split()
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return None


@dataclass(frozen=True)
class ProcessIdentity:
    pid: int
    start_ticks: int | None = None
    create_time: float | None = None  # psutil's epoch start time: only where ticks are missing
    host: str | None = None  # None: recorded before hosts were; taken to be this host
    boot: str | None = None

    @classmethod
    def of(cls, pid: int) -> ProcessIdentity | None:
        """The identity of a live process, or None if it is gone."""
        try:
            create_time = psutil.Process(pid).create_time()
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            return None
        return cls(pid, start_ticks(pid), create_time, host_name(), boot_id())

    @property
    def on_this_host(self) -> bool:
        return self.host is None or self.host == host_name()

    @property
    def from_an_earlier_boot(self) -> bool:
        """On this host but recorded before the last reboot: that process is gone for sure."""
        current = boot_id()
        return self.on_this_host and self.boot is not None and current is not None and self.boot != current


@cache
def own_identity() -> ProcessIdentity:
    identity = ProcessIdentity.of(os.getpid())
    assert identity is not None  # this process is alive
    return identity


def find_process(identity: ProcessIdentity, *, command_word: str | None = None) -> psutil.Process | None:
    """The live process `identity` names on this host, or None. With `command_word`, its
    command line must also hold that word (an engine runs `python -m engine ...`)."""
    if not identity.on_this_host or identity.from_an_earlier_boot:
        return None
    try:
        process = psutil.Process(identity.pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
        ticks = start_ticks(identity.pid) if identity.start_ticks is not None else None
        if ticks is not None:
            same = ticks == identity.start_ticks
        elif identity.create_time is not None:
            same = abs(process.create_time() - identity.create_time) < CREATE_TIME_TOLERANCE
        else:
            same = True  # a bare pid (an old bootstrap record): the best there is
        if same and command_word is not None:
            same = command_word in process.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None
    return process if same else None
