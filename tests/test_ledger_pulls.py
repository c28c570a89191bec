"""Pull request states, read from a real local HTTP server that answers like GitHub."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from urllib3.util.retry import Retry

from engine.core.errors import BadInputError
from engine.ledger import (
    Claim,
    GitPullRequests,
    GlobalBudget,
    Ledger,
    LifecycleState,
    PullRequestLookupError,
    apply_pull_request_states,
    claim,
    import_scan,
    parse_pull_request_url,
    poll_pull_requests,
    record_outcome,
    set_pull_request_state,
    sync_pull_requests,
)
from tests.ledger_helpers import at, finding, fp

S = LifecycleState
BUDGET = GlobalBudget(limit=100, period_hours=24)


class FakeGitHub:
    """Answers GET /repos/{owner}/{repo}/pulls/{n} from `pulls`; `flaky` paths answer 503 a
    number of times first. Records every request's path and Authorization header."""

    def __init__(self) -> None:
        self.pulls: dict[str, tuple[int, Any]] = {}
        self.flaky: dict[str, int] = {}
        self.seen: list[tuple[str, str | None]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.seen.append((self.path, self.headers.get("Authorization")))
                if fake.flaky.get(self.path, 0) > 0:
                    fake.flaky[self.path] -= 1
                    status, body = 503, {"message": "try later"}
                else:
                    status, body = fake.pulls.get(self.path, (404, {"message": "Not Found"}))
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def pull(
        self, owner: str, repo: str, number: int, state: str, merged: bool = False, **extra: Any
    ) -> None:
        body = {"number": number, "state": state, "merged": merged, "merged_at": None, **extra}
        self.pulls[f"/repos/{owner}/{repo}/pulls/{number}"] = (200, body)


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub()
    thread = threading.Thread(target=fake.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()
    thread.join(5)


def _client(github: FakeGitHub, token: str | None = "t0ken") -> GitPullRequests:
    # Retries without sleeping, so the test does not wait on backoff.
    retry = Retry(total=2, backoff_factor=0, status_forcelist=(500, 502, 503, 504), raise_on_status=False)
    return GitPullRequests(github.base_url, token, timeout=5, retry=retry)


def test_parse_pull_request_urls() -> None:
    assert parse_pull_request_url("https://github.com/acme/shop/pull/12") == ("acme", "shop", 12)
    assert parse_pull_request_url("https://ghe.example.com/team/api/pull/3/") == ("team", "api", 3)
    for bad in (
        "https://github.com/acme/shop/issues/12",
        "https://github.com/acme/shop/pull/abc",
        "https://github.com/acme/pull/12",
        "github.com/acme/shop/pull/12",
        "ftp://github.com/acme/shop/pull/12",
    ):
        with pytest.raises(BadInputError, match="is not a pull request URL"):
            parse_pull_request_url(bad)


def test_client_reads_open_merged_and_closed(github: FakeGitHub) -> None:
    github.pull("acme", "shop", 1, "open")
    github.pull("acme", "shop", 2, "closed", merged=True)
    github.pull("acme", "shop", 3, "closed")
    github.pulls["/repos/acme/shop/pulls/4"] = (200, {"state": "closed", "merged_at": "2025-03-01T10:00:00Z"})
    with _client(github) as client:
        got = [client.state(f"https://github.com/acme/shop/pull/{n}") for n in (1, 2, 3, 4)]
    assert got == ["open", "merged", "closed", "merged"]
    assert github.seen[0] == ("/repos/acme/shop/pulls/1", "Bearer t0ken")


def test_client_without_token_sends_no_authorization(github: FakeGitHub) -> None:
    github.pull("acme", "shop", 1, "open")
    with _client(github, token=None) as client:
        assert client.state("https://github.com/acme/shop/pull/1") == "open"
    assert github.seen == [("/repos/acme/shop/pulls/1", None)]


def test_client_retries_transient_errors(github: FakeGitHub) -> None:
    github.pull("acme", "shop", 5, "open")
    github.flaky["/repos/acme/shop/pulls/5"] = 2
    with _client(github) as client:
        assert client.state("https://github.com/acme/shop/pull/5") == "open"
    assert len(github.seen) == 3


def test_client_errors_name_the_problem(github: FakeGitHub) -> None:
    github.flaky["/repos/acme/shop/pulls/6"] = 10
    github.pulls["/repos/acme/shop/pulls/7"] = (200, b"<html>login</html>")
    github.pulls["/repos/acme/shop/pulls/8"] = (403, {"message": "Bad credentials"})
    with _client(github) as client:
        with pytest.raises(PullRequestLookupError, match=r"pulls/6: HTTP 503"):
            client.state("https://github.com/acme/shop/pull/6")
        with pytest.raises(PullRequestLookupError, match="not JSON"):
            client.state("https://github.com/acme/shop/pull/7")
        with pytest.raises(PullRequestLookupError, match=r"access denied \(403\)"):
            client.state("https://github.com/acme/shop/pull/8")
        with pytest.raises(PullRequestLookupError, match=r"not found \(404\)"):
            client.state("https://github.com/acme/shop/pull/9")


def _ledger_with_prs(numbers: list[int]) -> Ledger:
    ledger = Ledger()
    import_scan(ledger, "s1", "a.sarif", [finding(n) for n in [*numbers, 50]], at(0))
    for n in numbers:
        claim(ledger, "r1", [Claim(fingerprint=fp(n), finding_id=f"F-{n}", attempt=1)], at(1), BUDGET)
        record_outcome(
            ledger, "r1", fp(n), 1, "success", at(2), pr_url=f"https://github.com/acme/shop/pull/{n}"
        )
    return ledger


def test_sync_moves_pr_states_and_one_error_does_not_stop_the_others(github: FakeGitHub) -> None:
    ledger = _ledger_with_prs([1, 2, 3, 4])
    github.pull("acme", "shop", 1, "closed", merged=True)
    github.pull("acme", "shop", 2, "closed")
    github.flaky["/repos/acme/shop/pulls/3"] = 10  # always 503
    github.pull("acme", "shop", 4, "open")
    with _client(github) as client:
        result = sync_pull_requests(ledger, client, at(5))
    assert result[fp(1)] == "merged"
    assert result[fp(2)] == "closed"
    assert result[fp(3)].startswith("error: GET /repos/acme/shop/pulls/3: HTTP 503")
    assert result[fp(4)] == "open"
    assert fp(50) not in result  # never had a PR: not asked
    got = {n: ledger.entries[fp(n)].state for n in (1, 2, 3, 4, 50)}
    assert got == {1: S.pr_merged, 2: S.pr_closed_unmerged, 3: S.pr_open, 4: S.pr_open, 50: S.new}
    assert (
        ledger.entries[fp(1)].history[-1].reason == "pull request merged: https://github.com/acme/shop/pull/1"
    )
    # Only pr_open entries are asked again.
    asked = len(github.seen)
    with _client(github) as client:
        assert set(sync_pull_requests(ledger, client, at(6))) == {fp(3), fp(4)}
    assert {path for path, _ in github.seen[asked:]} == {
        "/repos/acme/shop/pulls/3",
        "/repos/acme/shop/pulls/4",
    }


def test_apply_skips_entries_that_moved_on_since_the_poll(github: FakeGitHub) -> None:
    ledger = _ledger_with_prs([1, 2])
    github.pull("acme", "shop", 1, "closed", merged=True)
    github.pull("acme", "shop", 2, "closed", merged=True)
    with _client(github) as client:
        polled = poll_pull_requests(ledger, client)
    assert polled == {fp(1): "merged", fp(2): "merged"}
    set_pull_request_state(ledger, fp(2), "closed", at(3), "ana@example.com")  # meanwhile, by hand
    applied = apply_pull_request_states(ledger, polled, at(4))
    assert applied == {fp(1): "merged", fp(2): "skipped: now pr_closed_unmerged"}
    assert ledger.entries[fp(2)].state == S.pr_closed_unmerged


def test_set_pull_request_state_transitions() -> None:
    ledger = _ledger_with_prs([1])
    assert not set_pull_request_state(ledger, fp(1), "open", at(3), None)
    assert set_pull_request_state(ledger, fp(1), "closed", at(4), "ana@example.com")
    assert set_pull_request_state(ledger, fp(1), "open", at(5), "ana@example.com")  # reopened
    assert set_pull_request_state(ledger, fp(1), "merged", at(6), None)
    assert not set_pull_request_state(ledger, fp(1), "merged", at(7), None)
    with pytest.raises(BadInputError, match="is pr_merged; it has no pull request that could be closed"):
        set_pull_request_state(ledger, fp(1), "closed", at(8), None)
    with pytest.raises(BadInputError, match="is new; it has no pull request"):
        set_pull_request_state(ledger, fp(50), "merged", at(8), None)
    states = [e.state for e in ledger.entries[fp(1)].history]
    assert states == [S.new, S.dispatched, S.pr_open, S.pr_closed_unmerged, S.pr_open, S.pr_merged]
