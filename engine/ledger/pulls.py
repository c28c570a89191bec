"""Following the pull requests the agents opened: open, merged or closed without merging.

`GitPullRequests` reads them from a GitHub-shaped API (GitHub, GitHub Enterprise at
`https://<host>/api/v3`, or anything serving `GET /repos/{owner}/{repo}/pulls/{number}`).

Asking a tracker takes network time, and the ledger lock must not wait on the network: read
the ledger, `poll_pull_requests` outside the lock, then `apply_pull_request_states` inside
`update_ledger`. `sync_pull_requests` does both in one call for callers that hold no lock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, get_args
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from engine.core.errors import BadInputError
from engine.core.pull_evidence import PullEvidence, files_of_diff
from engine.ledger.models import Ledger, LifecycleState, PullRequestState
from engine.ledger.transitions import change_state, get_entry, require_aware

S = LifecycleState
RETRY_STATUSES = (429, 500, 502, 503, 504)
DIFF_MEDIA_TYPE = "application/vnd.github.diff"
PR_STATES: tuple[str, ...] = get_args(PullRequestState)
# pr state -> {current ledger state: new ledger state}; a current state absent from the map
# for that pr state is a contradiction (a merged PR cannot be closed unmerged).
_MOVES: dict[str, dict[LifecycleState, LifecycleState]] = {
    "open": {S.pr_open: S.pr_open, S.pr_closed_unmerged: S.pr_open},
    "merged": {
        S.pr_open: S.pr_merged,
        S.pr_closed_unmerged: S.pr_merged,
        S.pr_merged: S.pr_merged,
        S.verified_fixed: S.verified_fixed,
    },
    "closed": {S.pr_open: S.pr_closed_unmerged, S.pr_closed_unmerged: S.pr_closed_unmerged},
}


class PullRequestTracker(Protocol):
    def state(self, pr_url: str) -> PullRequestState: ...


class PullRequestLookupError(Exception):
    """The tracker could not say what became of a pull request. `unreachable`: the Git host gave
    no answer at all (so asking about its other pull requests now would only wait again)."""

    def __init__(self, message: str, *, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable


def set_pull_request_state(
    ledger: Ledger, fingerprint: str, state: PullRequestState, now: datetime, actor: str | None
) -> bool:
    """Moves pr_open to pr_merged or pr_closed_unmerged (and a closed PR that was reopened back
    to pr_open). Saying again what the ledger already knows changes nothing. Returns whether
    the state changed."""
    require_aware(now, "now")
    if state not in PR_STATES:
        raise BadInputError(f"pull request state {state!r} is not one of {', '.join(PR_STATES)}")
    entry = get_entry(ledger, fingerprint)
    target = _MOVES[state].get(entry.state)
    if target is None:
        raise BadInputError(
            f"fingerprint {fingerprint!r} is {entry.state.value}; "
            f"it has no pull request that could be {state}"
        )
    if target == entry.state:
        return False
    verb = {"open": "reopened", "merged": "merged", "closed": "closed without merging"}[state]
    change_state(entry, target, now, f"pull request {verb}: {entry.pr_url or 'no url recorded'}", actor)
    return True


def poll_pull_requests(ledger: Ledger, tracker: PullRequestTracker) -> dict[str, str]:
    """fingerprint -> "open" | "merged" | "closed" | "error: ...", for every pr_open entry with a
    PR url. One PR's error never stops the others."""
    states: dict[str, str] = {}
    for fingerprint, entry in sorted(ledger.entries.items()):
        if entry.state != S.pr_open or not entry.pr_url:
            continue
        try:
            answer = tracker.state(entry.pr_url)
        except Exception as exc:  # any tracker failure is this PR's answer, not the sync's
            states[fingerprint] = f"error: {exc}"
            continue
        known = answer in PR_STATES
        states[fingerprint] = answer if known else f"error: unknown pull request state {answer!r}"
    return states


def apply_pull_request_states(
    ledger: Ledger, states: dict[str, str], now: datetime, actor: str | None = None
) -> dict[str, str]:
    """Applies what `poll_pull_requests` found. Entries that left pr_open in the meantime (or
    are gone) are skipped and say so."""
    require_aware(now, "now")
    applied: dict[str, str] = {}
    for fingerprint, state in states.items():
        entry = ledger.entries.get(fingerprint)
        if state not in PR_STATES:
            applied[fingerprint] = state
        elif entry is None or entry.state != S.pr_open:
            applied[fingerprint] = f"skipped: now {entry.state.value if entry else 'not in the ledger'}"
        else:
            set_pull_request_state(ledger, fingerprint, state, now, actor)  # type: ignore[arg-type]
            applied[fingerprint] = state
    return applied


def sync_pull_requests(ledger: Ledger, tracker: PullRequestTracker, now: datetime) -> dict[str, str]:
    return apply_pull_request_states(ledger, poll_pull_requests(ledger, tracker), now)


def parse_pull_request_url(url: str) -> tuple[str, str, int]:
    """(owner, repo, number) of https://<host>/<owner>/<repo>/pull/<n>."""
    parts = urlsplit(url.strip())
    segments = parts.path.strip("/").split("/")
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or len(segments) != 4
        or segments[2] != "pull"
        or not segments[3].isdigit()
        or not all(segments[:2])
    ):
        raise BadInputError(
            f"{url!r} is not a pull request URL like https://<host>/<owner>/<repo>/pull/<number>"
        )
    return segments[0], segments[1], int(segments[3])


def api_path(pr_url: str) -> str:
    owner, repo, number = parse_pull_request_url(pr_url)
    return f"/repos/{owner}/{repo}/pulls/{number}"


class GitPullRequests:
    """Reads pull request states; one HTTP session, retries with backoff on 429 and 5xx."""

    def __init__(
        self, base_url: str, token: str | None, timeout: float = 10, *, retry: Retry | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()
        retry = retry or Retry(
            total=4,
            backoff_factor=0.5,
            backoff_max=10,
            status_forcelist=RETRY_STATUSES,
            respect_retry_after_header=True,
            raise_on_status=False,  # the last answer is reported with its status
        )
        adapter = HTTPAdapter(max_retries=retry)
        self.http.mount("http://", adapter)
        self.http.mount("https://", adapter)
        self.http.headers.update(
            {
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "patchwave/0.1",
            }
        )
        if token:
            self.http.headers["Authorization"] = f"Bearer {token}"

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> GitPullRequests:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _get(self, pr_url: str, accept: str | None = None) -> requests.Response:
        path = api_path(pr_url)
        headers = {"Accept": accept} if accept else None
        try:
            response = self.http.get(self.base_url + path, timeout=self.timeout, headers=headers)
        except requests.RequestException as exc:
            raise PullRequestLookupError(
                f"GET {path}: no answer ({type(exc).__name__})", unreachable=True
            ) from exc
        if response.status_code == 404:
            raise PullRequestLookupError(f"GET {path}: pull request not found (404)")
        if response.status_code in (401, 403):
            status = response.status_code
            raise PullRequestLookupError(f"GET {path}: access denied ({status}); check the token")
        if not response.ok:
            raise PullRequestLookupError(f"GET {path}: HTTP {response.status_code}")
        return response

    def diff(self, pr_url: str) -> str:
        """The pull request's unified diff (GitHub's `application/vnd.github.diff` answer)."""
        return self._get(pr_url, DIFF_MEDIA_TYPE).text

    def state(self, pr_url: str) -> PullRequestState:
        response = self._get(pr_url)
        path = api_path(pr_url)
        try:
            body = response.json()
        except ValueError as exc:
            raise PullRequestLookupError(f"GET {path}: the answer is not JSON") from exc
        if not isinstance(body, dict):
            raise PullRequestLookupError(f"GET {path}: the answer is not a pull request")
        if body.get("merged") is True or body.get("merged_at"):
            return "merged"
        if body.get("state") not in ("open", "closed"):
            raise PullRequestLookupError(f"GET {path}: the answer has no pull request state")
        return "closed" if body["state"] == "closed" else "open"


def git_pull_evidence(base_url: str, token: str | None, pr_url: str) -> PullEvidence:
    """What a reviewer reads of a pull request on the Git host: its diff and the files in it.
    Raises PullRequestLookupError (the message names the request and the reason)."""
    with GitPullRequests(base_url, token) as git:
        diff = git.diff(pr_url)
    return PullEvidence(source="git_host", diff=diff, files=files_of_diff(diff))
