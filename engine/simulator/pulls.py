"""The simulator's stand-in for a Git host: the pull requests its sessions opened, in the
shape of GitHub's `GET /repos/{owner}/{repo}/pulls/{number}`, so the ledger's pull-request
tracker uses the same code against the simulator as against GitHub.

A pull request is open from the moment its session reports it until a test (or a person
recording a demo) merges or closes it with `POST /_sim/pulls {"url": ..., "state": ...}`."""

from __future__ import annotations

import re
import threading
from typing import Any

from engine.simulator.records import iso
from engine.simulator.state import Store

PULL_PATH = re.compile(r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/pulls/(?P<number>\d+)")
STATES = ("open", "merged", "closed")


class PullRequests:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._changed: dict[str, tuple[str, float]] = {}  # url -> (state, simulator time)

    def _opened(self, url: str) -> bool:
        """True when a session has reported this pull request."""
        now = self.store.now()
        with self.store.lock:
            records = list(self.store.sessions.values())
        for record in records:
            if record.plan.pr_url == url and record.state(now, self.store.speed).pull_request:
                return True
        return False

    def get(self, owner: str, repo: str, number: int) -> dict[str, Any] | None:
        url = f"https://github.com/{owner}/{repo}/pull/{number}"
        with self._lock:
            changed = self._changed.get(url)
        if changed is None and not self._opened(url):
            return None
        state, at = changed or ("open", 0.0)
        return {
            "number": number,
            "html_url": url,
            "state": "open" if state == "open" else "closed",
            "merged": state == "merged",
            "merged_at": iso(at) if state == "merged" else None,
            "closed_at": iso(at) if state != "open" else None,
        }

    def set_state(self, url: str, state: str) -> dict[str, Any]:
        """Raises ValueError for an unknown state or a pull request no session opened."""
        if state not in STATES:
            raise ValueError(f"state must be one of {', '.join(STATES)}")
        match = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+)/pull/(\d+)", url or "")
        if not match or not self._opened(url):
            raise ValueError(f"no simulated session opened the pull request {url!r}")
        with self._lock:
            self._changed[url] = (state, self.store.now())
        owner, repo, number = match.groups()
        return self.get(owner, repo, int(number)) or {}
