"""`state.json`: the whole BatchRun, replaced atomically by the run's engine alone.

Writes are coalesced so a run with thousands of findings does not rewrite its state thousands
of times: about once a second while the state is small, and for a large state no more than
WRITE_BUDGET bytes a second (a 10 MB state is rewritten every 5 s, not every second). Wave
boundaries get a snapshot of their own while snapshots are cheap; the run's end, pause and
interruption always do."""

from __future__ import annotations

import time
from pathlib import Path

from engine.core.models import BatchRun, utcnow
from engine.runs.damage import parse_run_file
from engine.runs.fence import check_lease, fence_worker
from engine.runs.process_identity import own_identity
from engine.storage.atomic import atomic_write_bytes

HEARTBEAT_SECONDS = 5.0  # the engine writes at least this often while alive (small states)
STALE_AFTER_SECONDS = 30.0  # a heartbeat older than this means the engine is gone (other hosts)
WRITE_BUDGET = 2_000_000  # bytes of snapshots per second, at most
MAX_INTERVAL = 20.0  # keeps the heartbeat well inside STALE_AFTER_SECONDS
SMALL_STATE = 1_000_000  # below this, a wave boundary is worth its own snapshot


class StateWriter:
    def __init__(
        self, path: Path, min_interval: float = 1.0, *, bytes_written: int = 0, writes: int = 0
    ) -> None:
        self.path = path
        self.min_interval = min_interval
        self.bytes_written = bytes_written
        self.writes = writes
        self._last_write = 0.0
        self._last_size = 0
        self._dirty = True

    def mark_dirty(self) -> None:
        self._dirty = True

    @property
    def interval(self) -> float:
        return min(MAX_INTERVAL, max(self.min_interval, self._last_size / WRITE_BUDGET))

    def due(self) -> bool:
        """A snapshot is due when something changed and the last one is old enough, or the
        heartbeat needs refreshing."""
        since = time.monotonic() - self._last_write
        interval = self.interval
        return (self._dirty and since >= interval) or since >= max(HEARTBEAT_SECONDS, interval)

    def save(self, run: BatchRun, *, force: bool = False, boundary: bool = False) -> bool:
        if boundary and self._last_size < SMALL_STATE:
            force = True
        if not (force or self.due()):
            return False
        run.heartbeat_at, run.heartbeat_monotonic = utcnow(), time.monotonic()
        me = own_identity()
        run.pid, run.pid_create_time, run.pid_start_ticks = me.pid, me.create_time, me.start_ticks
        run.engine_host, run.engine_boot_id = me.host, me.boot
        run.engine_worker = fence_worker()
        run.engine_stats.state_writes = self.writes + 1
        run.engine_stats.state_bytes_written = self.bytes_written
        data = run.__pydantic_serializer__.to_json(run)  # model_dump_json's bytes, without a str copy
        check_lease("write state.json")  # last, so a stall before it is caught too
        atomic_write_bytes(self.path, data)
        self.bytes_written += len(data)
        self._last_size = len(data)
        self.writes += 1
        self._last_write = time.monotonic()
        self._dirty = False
        return True


def load_state(path: Path) -> BatchRun:
    """The run's state; DamagedFileError names the file and the problem when it is unusable."""
    return parse_run_file(path, BatchRun, "run state")


def load_state_if_present(path: Path) -> BatchRun | None:
    """The state, or None before the run's engine first wrote it (DamagedFileError as above)."""
    try:
        return load_state(path)
    except FileNotFoundError:
        return None
