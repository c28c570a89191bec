"""Everything the engine writes into its run folder goes through here."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from engine.core.models import BatchRun, EventKind, RunTotals, TimelineEvent
from engine.execute.totals import compute_totals
from engine.runs.events import EventLog
from engine.runs.fence import check_lease
from engine.runs.index import entry_for, upsert_run
from engine.runs.journal import DispatchJournal
from engine.runs.paths import RunPaths
from engine.runs.state_store import StateWriter
from engine.storage.atomic import TEMP_PREFIX

log = logging.getLogger(__name__)


def _clean_state_temp_files(paths: RunPaths) -> None:
    """Removes the temp files a killed engine left while replacing state.json. Only the
    engine's own: the launcher may be replacing bootstrap.json at this very moment (it stops
    waiting for the engine's first state after a few seconds), and its temp file is its own."""
    for leftover in paths.root.glob(f"{TEMP_PREFIX}{paths.state.name}.*"):
        leftover.unlink(missing_ok=True)


class Recorder:
    def __init__(
        self,
        run: BatchRun,
        paths: RunPaths,
        state_interval: float,
        api_calls: Callable[[], int] = lambda: 0,
        api_errors: Callable[[], Mapping[str, int]] = dict,
        before_write: Callable[[], None] = lambda: None,
    ) -> None:
        self.run = run
        self._before_write = before_write  # brings measured figures up to the snapshot's moment
        self.paths = paths
        _clean_state_temp_files(paths)  # leftovers of a killed predecessor
        self.events = EventLog(paths.events)
        self.journal = DispatchJournal(paths.dispatch_journal)
        stats = run.engine_stats
        self.writer = StateWriter(
            paths.state, state_interval, bytes_written=stats.state_bytes_written, writes=stats.state_writes
        )
        self._api_calls_before = stats.api_calls
        self._api_calls = api_calls
        self._api_errors_before = dict(stats.api_errors)
        self._api_errors = api_errors

    def event(self, kind: EventKind, message: str, **fields: Any) -> None:
        self.events.append(TimelineEvent(run_id=self.run.run_id, kind=kind, message=message, **fields))
        log.info("%s: %s", kind.value, message)
        self.writer.mark_dirty()

    def mark_dirty(self) -> None:
        self.writer.mark_dirty()

    def refresh_totals(self) -> RunTotals:
        self.run.totals = compute_totals(self.run)
        stats = self.run.engine_stats
        stats.api_calls = self._api_calls_before + self._api_calls()
        stats.api_errors = self.api_errors()
        return self.run.totals

    def api_errors(self) -> dict[str, int]:
        """Failed API calls by kind, over every engine that worked on the run, up to now."""
        errors = Counter(self._api_errors_before)
        errors.update(dict(self._api_errors()))
        return dict(sorted(errors.items()))

    def save(self) -> None:
        """A coalesced snapshot: written only if the last one is old enough."""
        if self.writer.due():
            self._before_write()
            self.refresh_totals()
            self.writer.save(self.run, force=True)

    def checkpoint(self, *, boundary: bool = False) -> None:
        """The run's line in the shared index, and a snapshot: now, or at a wave boundary as
        soon as the state's size allows (see StateWriter)."""
        self._before_write()
        self.refresh_totals()
        self.writer.save(self.run, force=not boundary, boundary=boundary)
        check_lease("update the run index")
        upsert_run(self.paths.root.parent, entry_for(self.run))

    def close(self) -> None:
        try:
            self.events.close()
        finally:
            self.journal.close()
