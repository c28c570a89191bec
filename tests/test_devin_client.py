"""DevinClient against the simulated v1 API: a real HTTP server on loopback, no HTTP mocking."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

import engine.devin.client as client_module
from engine.core.models import SessionStatus
from engine.devin.client import DevinAPIError, DevinClient, SessionNotFoundError, build_retry
from engine.devin.prompt import STRUCTURED_OUTPUT_SCHEMA
from engine.devin.status import map_status
from engine.simulator import SimulatorServer

KEY = "apk_test_key"
SESSION_ID = re.compile(r"devin-[0-9a-f]{32}")
PROMPT = "Fix SQL injection in src/db/users.py\nrepo_url: https://github.com/acme/payments"
FAST = 3000.0  # a whole simulated session (at most 600 simulated seconds) takes < 0.25 s
# Simulator fault sequences are deterministic per seed; 42 gives 429, 503 and 500 (some after
# the create did its work) within 8 creates, with a single 1-second Retry-After.
FAULT_SEED = 42
SIM_FAILURES = (
    # one-off failures of an attempt
    r"Test suite failed after applying the fix: \d failing test\(s\) in the integration suite, "
    r"unrelated to the change \(they fail on the default branch too\)\.",
    r"Could not run the test suite: the service containers it needs failed to start\.",
    r"The build failed while downloading dependencies: the package registry timed out\.",
    r"A flaky end-to-end test failed twice in a row; the fix itself passed its unit tests\.",
    # a SQL injection finding the agent cannot fix
    r"The query is built by a shared query builder used by \d+ other repositories; changing it "
    r"safely needs the platform team's review\.",
)

SimFactory = Callable[..., SimulatorServer]
ClientFactory = Callable[..., DevinClient]


@pytest.fixture
def make_sim() -> Iterator[SimFactory]:
    servers: list[SimulatorServer] = []

    def make(**options: Any) -> SimulatorServer:
        options = {"seed": 7, "speed": FAST, "failure_rate": 0.0, **options}
        server = SimulatorServer(**options).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def make_client() -> Iterator[ClientFactory]:
    clients: list[DevinClient] = []

    def make(base_url: str, *, total: int = 2, backoff: float = 0.0, **options: Any) -> DevinClient:
        client = DevinClient(base_url, KEY, retry=build_retry(total=total, backoff=backoff), **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def sim(make_sim: SimFactory) -> SimulatorServer:
    return make_sim()


@pytest.fixture
def slow_sim(make_sim: SimFactory) -> SimulatorServer:
    """speed=1: sessions stay in their first stage (running) for the whole test."""
    return make_sim(speed=1.0)


@pytest.fixture
def client(sim: SimulatorServer, make_client: ClientFactory) -> DevinClient:
    return make_client(sim.base_url)


@pytest.fixture
def slow_client(slow_sim: SimulatorServer, make_client: ClientFactory) -> DevinClient:
    return make_client(slow_sim.base_url)


def http_stats(server: SimulatorServer) -> dict[str, Any]:
    response = requests.get(server.base_url.removesuffix("/v1") + "/_sim/stats", timeout=5)
    assert response.status_code == 200
    return response.json()


def wait_terminal(client: DevinClient, session_id: str, timeout: float = 5.0) -> Any:
    """Poll (bounded) until map_status says the session is over; (details, status, reason)."""
    deadline = time.monotonic() + timeout
    while True:
        details = client.get_session(session_id)
        status, reason = map_status(details)
        if status.is_terminal:
            return details, status, reason
        assert time.monotonic() < deadline, f"{session_id} still {status} after {timeout}s"
        time.sleep(0.02)


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- construction -------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["", None])
def test_missing_key_is_refused_at_construction(key: Any) -> None:
    with pytest.raises(ValueError, match="API key"):
        DevinClient("http://127.0.0.1:9/v1", key)


def test_trailing_slash_in_base_url_is_ignored(sim: SimulatorServer, make_client: ClientFactory) -> None:
    created = make_client(sim.base_url + "/").create_session(PROMPT)
    assert SESSION_ID.fullmatch(created.session_id)


# -- sessions -----------------------------------------------------------------------------------


def test_create_returns_id_url_and_is_new(sim: SimulatorServer, client: DevinClient) -> None:
    created = client.create_session(
        PROMPT,
        tags=["pw-run"],
        title="[Patchwave] HIGH F-1: SQL injection",
        structured_output_schema=STRUCTURED_OUTPUT_SCHEMA,
        max_acu_limit=5,
    )
    assert SESSION_ID.fullmatch(created.session_id)
    assert created.url == "https://app.devin.ai/sessions/" + created.session_id.removeprefix("devin-")
    assert created.is_new_session is True

    again = client.create_session(
        PROMPT,
        tags=["pw-run"],
        title="[Patchwave] HIGH F-1: SQL injection",
        structured_output_schema=STRUCTURED_OUTPUT_SCHEMA,
        max_acu_limit=5,
    )
    assert again.session_id == created.session_id
    assert again.url == created.url
    assert again.is_new_session is False

    stats = http_stats(sim)
    assert stats["sessions_created"] == 1
    assert stats["idempotent_hits"] == 1
    assert stats["create_requests"] == 2
    assert client.requests_sent == 2


def test_non_idempotent_create_makes_a_new_session(sim: SimulatorServer, client: DevinClient) -> None:
    first = client.create_session(PROMPT, idempotent=False)
    second = client.create_session(PROMPT, idempotent=False)
    assert first.session_id != second.session_id
    assert first.is_new_session is None  # only present for idempotent creates
    assert sim.stats()["sessions_created"] == 2


def test_invalid_create_is_a_422(client: DevinClient) -> None:
    with pytest.raises(DevinAPIError) as raised:
        client.create_session(PROMPT, max_acu_limit=0)
    assert raised.value.status == 422
    assert "max_acu_limit" in raised.value.detail
    assert not isinstance(raised.value, SessionNotFoundError)


def test_get_session_with_and_without_prefix(slow_client: DevinClient) -> None:
    created = slow_client.create_session(PROMPT, tags=["pw-get"], title="my title")
    details = slow_client.get_session(created.session_id)
    assert details.session_id == created.session_id
    assert (details.status, details.status_enum) == ("running", "working")
    assert details.tags == ["pw-get"]
    assert details.title == "my title"
    assert details.messages[0].type == "initial_user_message"
    assert details.messages[0].message == PROMPT
    # v1 GET has no `url`: only the create response carries it
    assert "url" not in (details.model_extra or {})
    assert "url" not in details.model_dump()
    assert map_status(details) == (SessionStatus.working, None)

    bare = slow_client.get_session(created.session_id.removeprefix("devin-"))
    assert bare.session_id == created.session_id


def test_unknown_session_is_not_found(client: DevinClient) -> None:
    with pytest.raises(SessionNotFoundError) as raised:
        client.get_session("devin-" + "0" * 32)
    assert raised.value.status == 404
    assert raised.value.detail == "Session not found"
    assert isinstance(raised.value, DevinAPIError)


def test_list_sessions_filters_by_tags(sim: SimulatorServer, client: DevinClient) -> None:
    run_a = [client.create_session(f"{PROMPT}\nfinding A-{i}", tags=["run-a", f"f-{i}"]) for i in range(3)]
    run_b = [client.create_session(f"{PROMPT}\nfinding B-{i}", tags=["run-b", f"f-{i}"]) for i in range(2)]
    ids_a = {c.session_id for c in run_a}

    listed = client.list_sessions(tags=["run-a"])
    assert {s.session_id for s in listed} == ids_a
    assert all("run-a" in (s.tags or []) for s in listed)
    # every tag must match
    both = client.list_sessions(tags=["run-b", "f-1"])
    assert [s.session_id for s in both] == [run_b[1].session_id]
    assert client.list_sessions(tags=["nobody"]) == []
    assert len(client.list_sessions()) == 5
    assert len(client.list_sessions(limit=2)) == 2
    assert len(client.list_sessions(limit=2, offset=4)) == 1
    # the list shape: no messages, extra field kept, structured_output (a JSON string on the
    # wire) parsed into an object once the simulated agent has written it
    wait_terminal(client, run_a[0].session_id)
    summary = next(s for s in client.list_sessions(tags=["run-a"]) if s.session_id == run_a[0].session_id)
    assert summary.messages == []
    assert (summary.model_extra or {}).get("requesting_user_email")
    assert isinstance(summary.structured_output, dict)
    assert summary.structured_output["current_step"] == "completed"


def test_iter_sessions_yields_each_once_and_honours_tags(client: DevinClient) -> None:
    mine = {client.create_session(f"{PROMPT}\nfinding {i}", tags=["wave-1"]).session_id for i in range(4)}
    client.create_session(f"{PROMPT}\nother", tags=["wave-2"])
    seen = [s.session_id for s in client.iter_sessions(tags=["wave-1"])]
    assert sorted(seen) == sorted(mine)
    assert len(seen) == len(set(seen))
    assert len(list(client.iter_sessions())) == 5


@pytest.mark.parametrize(("count", "pages"), [(5, 3), (4, 3), (1, 1)])
def test_iter_sessions_paginates(
    sim: SimulatorServer,
    client: DevinClient,
    monkeypatch: pytest.MonkeyPatch,
    count: int,
    pages: int,
) -> None:
    """A page size of 2 (instead of the documented maximum of 1000) exercises the page loop
    against the real list endpoint without creating 1000+ sessions."""
    monkeypatch.setattr(client_module, "LIST_PAGE_LIMIT", 2)
    mine = {client.create_session(f"{PROMPT}\nfinding {i}", tags=["paged"]).session_id for i in range(count)}
    client.create_session(f"{PROMPT}\nunrelated", tags=["other"])
    seen = [s.session_id for s in client.iter_sessions(tags=["paged"])]
    assert len(seen) == count
    assert set(seen) == mine
    assert sim.stats()["requests_by_route"]["GET /v1/sessions"] == pages


def test_update_tags_replaces_them(slow_client: DevinClient) -> None:
    created = slow_client.create_session(PROMPT, tags=["old", "keep"])
    assert slow_client.update_tags(created.session_id, ["new"]) is None
    assert slow_client.get_session(created.session_id).tags == ["new"]
    assert slow_client.list_sessions(tags=["old"]) == []
    assert [s.session_id for s in slow_client.list_sessions(tags=["new"])] == [created.session_id]


def test_send_message_returns_none(slow_sim: SimulatorServer, slow_client: DevinClient) -> None:
    created = slow_client.create_session(PROMPT)
    assert slow_client.send_message(created.session_id, "Please also add a regression test.") is None
    details = slow_client.get_session(created.session_id)
    assert details.messages[-1].type == "user_message"
    assert details.messages[-1].message == "Please also add a regression test."
    assert slow_sim.stats()["messages_received"] == 1


def test_terminate_then_terminate_again_is_400(slow_sim: SimulatorServer, slow_client: DevinClient) -> None:
    created = slow_client.create_session(PROMPT)
    assert slow_client.terminate_session(created.session_id) == "Session terminated successfully"
    details = slow_client.get_session(created.session_id)
    assert (details.status, details.status_enum) == ("exit", "stopped")  # the legacy enum after DELETE
    # terminated before any PR: mapped as a failure with a reason
    assert map_status(details) == (SessionStatus.failed, "the session ended without a pull request")

    with pytest.raises(DevinAPIError) as raised:
        slow_client.terminate_session(created.session_id)
    assert raised.value.status == 400
    assert raised.value.detail == "Devin session already exited"
    assert not isinstance(raised.value, SessionNotFoundError)
    with pytest.raises(DevinAPIError) as message_after:
        slow_client.send_message(created.session_id, "hello?")
    assert message_after.value.status == 400
    assert slow_sim.stats()["sessions_terminated"] == 1


def test_terminate_unknown_session_is_not_found(client: DevinClient) -> None:
    with pytest.raises(SessionNotFoundError):
        client.terminate_session("devin-" + "f" * 32)


# -- transport errors ---------------------------------------------------------------------------


def test_closed_port_fails_fast_without_status(make_client: ClientFactory) -> None:
    client = make_client(f"http://127.0.0.1:{closed_port()}/v1", total=1, backoff=0.0)
    started = time.monotonic()
    with pytest.raises(DevinAPIError) as raised:
        client.get_session("devin-" + "0" * 32)
    elapsed = time.monotonic() - started
    assert raised.value.status is None
    assert "no response" in str(raised.value)
    assert raised.value.detail
    assert elapsed < 3.0
    with pytest.raises(DevinAPIError) as on_create:
        client.create_session(PROMPT)
    assert on_create.value.status is None


def test_missing_authorization_is_401(sim: SimulatorServer) -> None:
    url = sim.base_url + "/sessions"
    unauthenticated = requests.get(url, timeout=5)
    assert unauthenticated.status_code == 401
    assert unauthenticated.json() == {"detail": "Missing or invalid API key"}
    assert unauthenticated.headers.get("WWW-Authenticate") == "Bearer"
    empty_bearer = requests.get(url, headers={"Authorization": "Bearer "}, timeout=5)
    assert empty_bearer.status_code == 401
    assert requests.get(url, headers={"Authorization": f"Bearer {KEY}"}, timeout=5).status_code == 200


def test_client_surfaces_401(sim: SimulatorServer, make_client: ClientFactory) -> None:
    client = make_client(sim.base_url)
    client.http.headers.pop("Authorization")
    with pytest.raises(DevinAPIError) as raised:
        client.list_sessions()
    assert raised.value.status == 401
    assert raised.value.detail == "Missing or invalid API key"


# -- playbooks ----------------------------------------------------------------------------------


def test_playbook_round_trip(sim: SimulatorServer, client: DevinClient) -> None:
    assert client.list_playbooks() == []
    created = client.create_playbook("SQL injection", "# SQL injection\nUse bound parameters.")
    assert created.playbook_id.startswith("playbook-")
    assert (created.title, created.body) == ("SQL injection", "# SQL injection\nUse bound parameters.")
    assert (created.model_extra or {}).get("org_id")  # the rest of PlaybookResponse is kept

    other = client.create_playbook("Secrets", "# Secrets\nMove them out.", macro="!secrets")
    assert (other.model_extra or {}).get("macro") == "!secrets"

    assert client.update_playbook(created.playbook_id, "SQL injection v2", "# v2\nBody two.") is None
    listed = {p.playbook_id: p for p in client.list_playbooks()}
    assert set(listed) == {created.playbook_id, other.playbook_id}
    assert (listed[created.playbook_id].title, listed[created.playbook_id].body) == (
        "SQL injection v2",
        "# v2\nBody two.",
    )
    assert listed[other.playbook_id].title == "Secrets"
    assert sim.stats()["playbooks"] == 2

    with pytest.raises(SessionNotFoundError) as missing:  # any 404 maps to this class
        client.update_playbook("playbook-" + "0" * 32, "t", "b")
    assert missing.value.status == 404


# -- faults and outcomes ------------------------------------------------------------------------


def test_injected_faults_never_duplicate_sessions(make_sim: SimFactory, make_client: ClientFactory) -> None:
    sim = make_sim(seed=FAULT_SEED, fault_rate=0.5)
    client = make_client(sim.base_url, total=8, backoff=0.01)
    count = 8
    created = [
        client.create_session(f"{PROMPT}\nfinding F-{i}", tags=["faulty", f"f-{i}"]) for i in range(count)
    ]
    ids = [c.session_id for c in created]
    assert all(SESSION_ID.fullmatch(i) for i in ids)
    assert len(set(ids)) == count

    stats = sim.stats()
    assert stats["faults_injected"] > 0
    assert stats["create_requests"] > count  # some creates needed retries
    assert stats["sessions_created"] == count  # ... yet no duplicates
    # A 500 that came after the work was done: its retry found the session by idempotency.
    assert stats["idempotent_hits"] >= 1
    assert stats["sessions_by_tag"]["faulty"] == count
    # which means `is_new_session` is False for a session this very client created (a create
    # can absorb more than one such hit, so this is at most the hit count)
    reused = sum(1 for c in created if c.is_new_session is False)
    assert 1 <= reused <= stats["idempotent_hits"]


def test_completed_session_maps_to_success_with_pr(client: DevinClient) -> None:
    created = client.create_session(PROMPT, tags=["pw-ok"])
    details, status, reason = wait_terminal(client, created.session_id)
    assert (status, reason) == (SessionStatus.success, None)
    # the simulator's own pull request page (never a github.com URL that does not exist)
    assert details.pr_url and re.fullmatch(r"http://127\.0\.0\.1:\d+/acme/payments/pull/\d+", details.pr_url)
    assert details.acus_consumed is not None and 0 < details.acus_consumed < 20  # v2/v3's field
    assert details.structured_output is not None
    assert details.structured_output["current_step"] == "completed"
    assert details.status_enum in ("finished", "blocked")


def test_failing_session_maps_to_failed_with_the_simulator_error(
    make_sim: SimFactory, make_client: ClientFactory
) -> None:
    sim = make_sim(failure_rate=1.0)
    client = make_client(sim.base_url)
    created = client.create_session(PROMPT, tags=["pw-fail"])
    details, status, reason = wait_terminal(client, created.session_id)
    assert status is SessionStatus.failed
    assert details.status_enum == "blocked"
    assert details.pr_url is None
    assert details.structured_output is not None
    assert reason == details.structured_output["error"]
    assert any(re.fullmatch(pattern, reason) for pattern in SIM_FAILURES), reason
    # the agent says the same in its last chat message
    assert reason in (details.messages[-1].message or "")
