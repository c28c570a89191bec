"""The simulator's stand-in for a Git host: the pull requests its sessions opened.

- `GET /repos/{owner}/{repo}/pulls/{n}`: GitHub's pull request shape, so the ledger's tracker
  uses the same code against the simulator as against GitHub (with `Accept:
  application/vnd.github.diff` it answers the unified diff, as GitHub does);
- `GET /{owner}/{repo}/pull/{n}`: the pull request's page (HTML), `.diff` and `.json`; simulated
  sessions link there;
- `POST /_sim/pulls {"url": ..., "state": ...}`: a test (or a person recording a demo) merges
  or closes one.

A pull request exists from the moment its session reports it (its structured output names
it). When the simulator runs inside a run's engine it also saves each one in the run folder at
that moment (engine.simulator.pull_archive), so the page outlives the simulator."""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from engine.simulator.pull_archive import load_pull, save_pull
from engine.simulator.pull_record import PullRecord, pull_record
from engine.simulator.records import SessionRecord, iso
from engine.simulator.state import Store
from engine.storage.links import SymlinkRefusedError

log = logging.getLogger(__name__)

PULL_PATH = re.compile(r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/pulls/(?P<number>\d+)")
PAGE_PATH = re.compile(r"/(?P<owner>[^/]+)/(?P<repo>[^/]+)/pull/(?P<number>\d+)(?P<ext>\.diff|\.json)?")
STATES = ("open", "merged", "closed")


class PullRequests:
    def __init__(self, store: Store, archive_dir: Path | None = None) -> None:
        self.store = store
        self.archive_dir = archive_dir
        self._lock = threading.Lock()
        self._changed: dict[str, tuple[str, float]] = {}  # page path -> (state, simulator time)
        self._records: dict[str, PullRecord] = {}  # page path -> the pull request, once reported

    def reported(self, record: SessionRecord, output: dict[str, Any] | None) -> None:
        """Called with every session state a response carries: the first one naming the pull
        request creates it (and saves it), before the response lets anyone see the link."""
        if not output or not output.get("pr_url"):
            return
        path = urlsplit(record.plan.pr_url).path
        with self._lock:
            if path in self._records:
                return
            saved = load_pull(self.archive_dir, path) if self.archive_dir is not None else None
            if saved is not None and saved.session_id == record.session_id:
                self._records[path] = saved  # a resumed run's simulator: the page stays as it was
                return
            pull = pull_record(record.plan, record.session_id, iso(self.store.now()))
            if self.archive_dir is not None:
                try:
                    save_pull(self.archive_dir, pull)
                except (OSError, SymlinkRefusedError) as exc:  # still served while this simulator runs
                    log.error("could not save the pull request page %s: %s", pull.url, exc)
            self._records[path] = pull

    def record(self, owner: str, repo: str, number: int) -> PullRecord | None:
        path = f"/{owner}/{repo}/pull/{number}"
        with self._lock:
            found = self._records.get(path)
        if found is not None:
            return found
        self._catch_up(path)  # sessions revealed only by elapsed time, not yet by a response
        with self._lock:
            return self._records.get(path)

    def _catch_up(self, path: str) -> None:
        now = self.store.now()
        with self.store.lock:
            records = [r for r in self.store.sessions.values() if urlsplit(r.plan.pr_url).path == path]
        for record in records:
            snap = record.state(now, self.store.speed)
            self.reported(record, snap.structured_output)

    def state(self, path: str) -> tuple[str, float | None]:
        with self._lock:
            state, at = self._changed.get(path, ("open", None))
        return state, at

    def github(self, owner: str, repo: str, number: int, api_base: str) -> dict[str, Any] | None:
        from engine.simulator.pull_pages import github_shape

        pull = self.record(owner, repo, number)
        if pull is None:
            return None
        state, at = self.state(pull.path)
        return github_shape(pull, state, iso(at) if at is not None else None, api_base)

    def set_state(self, url: str, state: str) -> dict[str, Any]:
        """Raises ValueError for an unknown state or a pull request no session opened."""
        if state not in STATES:
            raise ValueError(f"state must be one of {', '.join(STATES)}")
        found = PAGE_PATH.fullmatch(urlsplit(url or "").path.rstrip("/"))
        pull = self.record(found["owner"], found["repo"], int(found["number"])) if found else None
        if pull is None:
            raise ValueError(f"no simulated session opened the pull request {url!r}")
        with self._lock:
            self._changed[pull.path] = (state, self.store.now())
        return self.github(found["owner"], found["repo"], int(found["number"]), "") or {}  # type: ignore[index]
