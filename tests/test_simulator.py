"""The simulated Devin v1 API, exercised over real HTTP on loopback."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from engine.simulator import SimulatorServer
from engine.simulator.lifecycle import STAGE_SECONDS, build_plan, plan_rng, snapshot

AUTH = {"Authorization": "Bearer test-key"}
PROMPT = "Fix SQL injection in src/db/users.py\nrepo_url: https://github.com/acme/payments"
DETAIL_FIELDS = {
    "session_id",
    "status",
    "status_enum",
    "created_at",
    "updated_at",
    "title",
    "snapshot_id",
    "playbook_id",
    "tags",
    "pull_request",
    "structured_output",
    "messages",
    "acus_consumed",  # v2/v3's field; v1 has none
    "status_detail",  # v3's reason while suspended
}
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$")


class Client:
    def __init__(self, server: SimulatorServer, headers: dict[str, str] | None = None) -> None:
        self.base = server.base_url
        self.http = requests.Session()
        self.http.headers.update(AUTH if headers is None else headers)

    def post(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.http.post(self.base + path, json=body, timeout=5, **kw)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.http.get(self.base + path, timeout=5, **kw)

    def put(self, path: str, body: Any) -> requests.Response:
        return self.http.put(self.base + path, json=body, timeout=5)

    def delete(self, path: str) -> requests.Response:
        return self.http.delete(self.base + path, timeout=5)

    def create(self, **body: Any) -> dict[str, Any]:
        response = self.post("/sessions", {"prompt": PROMPT, **body})
        assert response.status_code == 200, response.text
        return response.json()

    def session(self, session_id: str) -> dict[str, Any]:
        response = self.get(f"/sessions/{session_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def wait_done(self, session_id: str, timeout: float = 5.0) -> dict[str, Any]:
        return wait_for(lambda: _done(self.session(session_id)), timeout)


def _done(detail: dict[str, Any]) -> dict[str, Any] | None:
    output = detail["structured_output"]
    if output and output["current_step"] in ("completed", "failed"):
        return detail
    return None


def wait_for(probe: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = probe()
        if result:
            return result
        time.sleep(0.02)
    raise AssertionError("condition not reached in time")


@pytest.fixture
def slow_server() -> Iterator[SimulatorServer]:
    """speed=1: sessions stay in their first stage for the whole test."""
    with SimulatorServer(seed=7, speed=1.0, failure_rate=0.0) as server:
        yield server


@pytest.fixture
def fast_server() -> Iterator[SimulatorServer]:
    with SimulatorServer(seed=7, speed=2000.0, failure_rate=0.0) as server:
        yield server


def sim_stats(server: SimulatorServer) -> dict[str, Any]:
    response = requests.get(server.base_url.removesuffix("/v1") + "/_sim/stats", timeout=5)
    assert response.status_code == 200
    return response.json()


# -- shapes ---------------------------------------------------------------------------------


def test_create_get_and_list_shapes(slow_server: SimulatorServer) -> None:
    client = Client(slow_server)
    created = client.create(tags=["pw-run-1"])
    assert set(created) == {"session_id", "url"}  # is_new_session only with idempotent
    session_id = created["session_id"]
    assert re.fullmatch(r"devin-[0-9a-f]{32}", session_id)
    assert created["url"] == f"https://app.devin.ai/sessions/{session_id.removeprefix('devin-')}"

    detail = client.session(session_id)
    assert set(detail) == DETAIL_FIELDS  # no `url` on GET
    assert (detail["status"], detail["status_enum"]) == ("running", "working")
    assert ISO_UTC.match(detail["created_at"]) and ISO_UTC.match(detail["updated_at"])
    assert detail["tags"] == ["pw-run-1"]
    assert detail["pull_request"] is None
    assert detail["structured_output"] is None  # not written yet at speed 1
    first = detail["messages"][0]
    assert first["type"] == "initial_user_message" and first["message"] == PROMPT
    assert set(first) == {"type", "event_id", "message", "timestamp", "username", "origin", "user_id"}

    # without the prefix, and on the legacy singular path
    assert client.session(session_id.removeprefix("devin-"))["session_id"] == session_id
    assert client.get(f"/session/{session_id}").json()["session_id"] == session_id
    missing = client.get("/sessions/devin-" + "0" * 32)
    assert missing.status_code == 404 and missing.json() == {"detail": "Session not found"}

    summary = client.get("/sessions").json()["sessions"][0]
    assert set(summary) == DETAIL_FIELDS - {"messages"} | {"requesting_user_email"}
    assert client.get("/auth_status").json() == {"status": "ok", "org_id": "org-sim"}
    assert client.get("/nope").status_code == 404

    stats = slow_server.stats()
    assert stats == sim_stats(slow_server)  # /_sim/* requests are not counted
    assert stats["requests_by_route"]["GET /v1/sessions/{id}"] == 3
    assert stats["requests_by_route"]["GET /v1/session/{id}"] == 1
    assert stats["requests_by_route"]["POST /v1/sessions"] == 1


def test_idempotent_create_returns_existing_session(slow_server: SimulatorServer) -> None:
    client = Client(slow_server)
    first = client.create(idempotent=True, tags=["t1"])
    again = client.create(idempotent=True, tags=["t1"])
    other = client.create(idempotent=True, tags=["t1", "attempt-2"])
    assert first["is_new_session"] is True and again["is_new_session"] is False
    assert again["session_id"] == first["session_id"]
    assert other["is_new_session"] is True and other["session_id"] != first["session_id"]

    body = {"prompt": "concurrent", "idempotent": True}
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: Client(slow_server).post("/sessions", body).json(), range(8)))
    assert len({r["session_id"] for r in results}) == 1
    assert sum(r["is_new_session"] for r in results) == 1

    stats = slow_server.stats()
    assert stats["create_requests"] == 11
    assert stats["sessions_created"] == 3
    assert stats["idempotent_hits"] == 8
    assert stats["sessions_by_tag"] == {"t1": 2, "attempt-2": 1}


def test_list_filters_order_and_string_output(fast_server: SimulatorServer) -> None:
    client = Client(fast_server)
    a = client.create(tags=["run", "a"])["session_id"]
    b = client.create(tags=["run", "b"])["session_id"]
    c = client.create(tags=["other"])["session_id"]
    client.wait_done(c)

    ids = [s["session_id"] for s in client.get("/sessions").json()["sessions"]]
    assert ids == [c, b, a]  # newest first
    tagged = client.get("/sessions", params={"tags": ["run", "b"]}).json()["sessions"]
    assert [s["session_id"] for s in tagged] == [b]
    run = client.get("/sessions", params={"tags": "run", "limit": 1, "offset": 1}).json()
    assert [s["session_id"] for s in run["sessions"]] == [a]
    assert client.get("/sessions", params={"user_email": "x@y.z"}).json() == {"sessions": []}

    summary = client.get("/sessions", params={"tags": "other"}).json()["sessions"][0]
    assert isinstance(summary["structured_output"], str)  # documented legacy quirk
    assert json.loads(summary["structured_output"])["current_step"] == "completed"
    assert isinstance(client.session(c)["structured_output"], dict)

    for bad in ("0", "1001", "abc"):
        response = client.get("/sessions", params={"limit": bad})
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["query", "limit"]


# -- lifecycle ------------------------------------------------------------------------------


def test_lifecycle_completes_with_pull_request(fast_server: SimulatorServer) -> None:
    client = Client(fast_server)
    ids = [client.create(prompt=f"{PROMPT}\nTask {i}.")["session_id"] for i in range(30)]
    finals = [client.wait_done(i) for i in ids]
    for detail in finals:
        out = detail["structured_output"]
        assert out["current_step"] == "completed" and out["progress_pct"] == 100
        assert detail["pull_request"]["url"] == out["pr_url"]
        # the simulator's own pull request page, never a github.com URL that does not exist
        assert re.fullmatch(re.escape(fast_server.root_url) + r"/acme/payments/pull/\d+", out["pr_url"])
        assert out["tests_passed"] is True and out["error"] is None
        assert "src/db/users.py" in out["files_modified"] and out["fix_approach"]
        assert 0 <= out["confidence"] <= 1 and round(out["confidence"], 2) == out["confidence"]
        assert (detail["status"], detail["status_enum"]) in {("exit", "finished"), ("running", "blocked")}
        kinds = [m["type"] for m in detail["messages"]]
        assert kinds[0] == "initial_user_message" and kinds.count("devin_message") == 5
    enums = {d["status_enum"] for d in finals}
    assert enums == {"finished", "blocked"}  # ~30% of successes idle in blocked
    assert fast_server.stats()["sessions_by_status_enum"]["finished"] >= 15


def test_default_repo_when_prompt_has_no_github_url(fast_server: SimulatorServer) -> None:
    client = Client(fast_server)
    session_id = client.post("/sessions", {"prompt": "Rotate the key"}).json()["session_id"]
    url = client.wait_done(session_id)["pull_request"]["url"]
    assert url.startswith(f"{fast_server.root_url}/acme-corp/service/pull/")


def test_stages_advance_in_order() -> None:
    plan = build_plan(plan_rng(3, "abc"), PROMPT, failure_rate=0.0)
    steps, pcts = [], []
    for t in range(0, 700, 5):
        out = snapshot(plan, float(t)).structured_output
        if out and (not steps or steps[-1] != out["current_step"]):
            steps.append(out["current_step"])
            pcts.append(out["progress_pct"])
    assert steps == ["analyzing", "fixing", "testing", "creating_pr", "completed"]
    assert pcts == [10, 35, 60, 85, 100]
    assert all(STAGE_SECONDS[0] <= d <= STAGE_SECONDS[1] for d in plan.durations)
    assert snapshot(plan, 0.0).structured_output is None


def test_failure_rate_one_blocks_with_error() -> None:
    with SimulatorServer(seed=1, speed=2000.0, failure_rate=1.0) as server:
        client = Client(server)
        detail = client.wait_done(client.create()["session_id"])
    out = detail["structured_output"]
    assert (detail["status"], detail["status_enum"]) == ("running", "blocked")
    assert out["current_step"] == "failed" and out["tests_passed"] is False
    assert out["error"] and out["pr_url"] is None
    assert detail["pull_request"] is None


def test_same_seed_and_requests_reproduce_sessions() -> None:
    def run(seed: int) -> list[Any]:
        # Pull request links name their page server: a fixed one, as a run's engine gives it.
        with SimulatorServer(
            seed=seed, speed=2000.0, failure_rate=0.3, pull_base_url="http://127.0.0.1:8766"
        ) as server:
            client = Client(server)
            ids = [client.create(prompt=f"{PROMPT}\nTask {i}.")["session_id"] for i in range(6)]
            finals = [client.wait_done(i) for i in ids]
        return [
            (
                d["session_id"],
                d["status_enum"],
                d["structured_output"],
                d["pull_request"],
                [m["message"] for m in d["messages"]],
            )
            for d in finals
        ]

    first, second, other_seed = run(11), run(11), run(12)
    assert first == second
    assert [f[0] for f in first] != [o[0] for o in other_seed]
    outputs = [f[2] for f in first]
    assert len({json.dumps(o, sort_keys=True) for o in outputs}) == len(outputs)  # independent


def test_the_same_task_plays_out_the_same_way_whatever_its_tags() -> None:
    """Runs tag sessions with their run id; a seeded demo must still look the same."""
    with SimulatorServer(seed=4, speed=2000.0, failure_rate=0.5) as server:
        client = Client(server)
        first = client.wait_done(client.create(tags=["run-a"])["session_id"])
        second = client.wait_done(client.create(tags=["run-b"])["session_id"])
    assert first["session_id"] != second["session_id"]
    one, two = dict(first["structured_output"]), dict(second["structured_output"])
    if one["pr_url"]:  # two sessions of one repository never share a pull request number
        assert one.pop("pr_url") != two.pop("pr_url")
    assert one == two
    assert first["status_enum"] == second["status_enum"]


# -- faults, auth, validation ---------------------------------------------------------------


def test_fault_rate_one_faults_every_api_request() -> None:
    with SimulatorServer(seed=5, speed=1.0, fault_rate=1.0) as server:
        client = Client(server)
        statuses = []
        for i in range(40):
            response = client.post("/sessions", {"prompt": f"p{i}"})
            statuses.append(response.status_code)
            if response.status_code == 429:
                assert response.headers["Retry-After"] == "1"
            statuses.append(client.get("/sessions").status_code)
        stats = sim_stats(server)  # /_sim/* is never faulted
    assert set(statuses) == {429, 500, 503}
    assert stats["faults_injected"] == 80
    assert stats["create_requests"] == 40
    # some 500s on create happen after the session was made (the response is lost)
    assert 0 < stats["sessions_created"] < 40


def test_idempotent_retries_through_faults_make_one_session() -> None:
    with SimulatorServer(seed=9, speed=1.0, fault_rate=0.5) as server:
        client = Client(server)
        for finding in range(10):
            body = {"prompt": f"finding {finding}", "idempotent": True, "tags": [f"f{finding}"]}
            response = wait_for(lambda b=body: (r := client.post("/sessions", b)).ok and r)
            assert response.json()["session_id"].startswith("devin-")
        stats = server.stats()
    assert stats["sessions_created"] == 10
    assert stats["faults_injected"] > 0
    assert stats["create_requests"] == 10 + stats["faults_injected"]


def test_auth_required_on_v1_only(slow_server: SimulatorServer) -> None:
    for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Basic abc"}):
        response = Client(slow_server, headers).get("/sessions")
        assert response.status_code == 401
        assert isinstance(response.json()["detail"], str)
    assert Client(slow_server, {"Authorization": "Bearer anything"}).get("/sessions").ok
    assert sim_stats(slow_server)["sessions_created"] == 0


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({}, ["body", "prompt"]),
        ({"prompt": ""}, ["body", "prompt"]),
        ({"prompt": 42}, ["body", "prompt"]),
        ({"prompt": "x", "max_acu_limit": 0}, ["body", "max_acu_limit"]),
        ({"prompt": "x", "tags": "not-a-list"}, ["body", "tags"]),
        (
            {"prompt": "x", "structured_output_schema": {"$ref": "https://x/s.json"}},
            ["body", "structured_output_schema"],
        ),
    ],
)
def test_create_validation_errors(slow_server: SimulatorServer, body: dict[str, Any], loc: list[str]) -> None:
    response = Client(slow_server).post("/sessions", body)
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"] == loc and isinstance(error["msg"], str) and error["type"]


def test_invalid_json_body_is_422(slow_server: SimulatorServer) -> None:
    client = Client(slow_server)
    response = client.http.post(
        client.base + "/sessions", data=b"{bad", headers={"Content-Type": "application/json"}, timeout=5
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"
    assert slow_server.stats()["sessions_created"] == 0


# -- messages, terminate, tags, playbooks ---------------------------------------------------


def test_message_terminate_and_already_exited(slow_server: SimulatorServer) -> None:
    client = Client(slow_server)
    session_id = client.create()["session_id"]
    sent = client.post(f"/sessions/{session_id}/message", {"message": "Please also add tests"})
    assert sent.status_code == 200 and sent.json() is None
    assert client.post(f"/sessions/{session_id}/message", {}).status_code == 422
    messages = client.session(session_id)["messages"]
    assert messages[-1]["type"] == "user_message"
    assert messages[-1]["message"] == "Please also add tests"

    done = client.delete(f"/sessions/{session_id}")
    assert done.status_code == 200
    assert done.json() == {"detail": "Session terminated successfully"}
    detail = client.session(session_id)
    assert (detail["status"], detail["status_enum"]) == ("exit", "stopped")  # the legacy enum after DELETE
    again = client.delete(f"/sessions/{session_id}")
    assert again.status_code == 400 and again.json() == {"detail": "Devin session already exited"}
    late = client.post(f"/sessions/{session_id}/message", {"message": "hello?"})
    assert late.status_code == 400 and late.json() == {"detail": "Devin session already exited"}
    assert client.delete("/sessions/devin-" + "f" * 32).status_code == 404


def test_update_tags_replaces(slow_server: SimulatorServer) -> None:
    client = Client(slow_server)
    session_id = client.create(tags=["old"])["session_id"]
    response = client.put(f"/sessions/{session_id}/tags", {"tags": ["new", "x"]})
    assert response.json() == {"detail": "Tags updated successfully"}
    assert client.session(session_id)["tags"] == ["new", "x"]
    assert slow_server.stats()["sessions_by_tag"] == {"new": 1, "x": 1}
    assert client.put(f"/sessions/{session_id}/tags", {"tags": "x"}).status_code == 422


def test_playbooks_crud(slow_server: SimulatorServer) -> None:
    client = Client(slow_server)
    assert client.get("/playbooks").json() == []
    created = client.post(
        "/playbooks", {"title": "SQLi", "body": "Use bound params", "macro": "!sqli"}
    ).json()
    playbook_id = created["playbook_id"]
    assert re.fullmatch(r"playbook-[0-9a-f]+", playbook_id)
    assert created["status"] == "published" and created["access_type"] == "team"
    assert created["org_id"] == "org-sim" and created["macro"] == "!sqli"
    assert client.get("/playbooks").json() == [created]
    assert client.put(f"/playbooks/{playbook_id}", {"title": "SQLi v2", "body": "b"}).json() == {
        "status": "success"
    }
    assert client.get(f"/playbooks/{playbook_id}").json()["title"] == "SQLi v2"
    assert client.post("/playbooks", {"title": "", "body": "b"}).status_code == 422
    assert client.delete(f"/playbooks/{playbook_id}").json() == {"status": "success"}
    assert client.get(f"/playbooks/{playbook_id}").status_code == 404


# -- journal and arguments ------------------------------------------------------------------


def test_journal_replay_keeps_sessions(tmp_path: Path) -> None:
    journal = tmp_path / "sim" / "journal.jsonl"
    with SimulatorServer(seed=3, speed=1.0, journal_path=journal) as server:
        client = Client(server)
        kept = client.create(idempotent=True, tags=["keep"])["session_id"]
        ended = client.create(tags=["end"])["session_id"]
        client.delete(f"/sessions/{ended}")
        client.put(f"/sessions/{kept}/tags", {"tags": ["keep", "more"]})
        client.post(f"/sessions/{kept}/message", {"message": "status?"})
        playbook_id = client.post("/playbooks", {"title": "t", "body": "b"}).json()["playbook_id"]
        before = client.session(kept)
    with journal.open("a") as handle:
        handle.write('{"op": "create", "torn')  # a crash mid-write leaves a torn line

    with SimulatorServer(seed=3, speed=1.0, journal_path=journal) as server:
        client = Client(server)
        after = client.session(kept)
        assert after["created_at"] == before["created_at"]
        assert after["tags"] == ["keep", "more"]
        assert after["messages"][-1]["message"] == "status?"
        assert client.session(ended)["status"] == "exit"
        assert client.get(f"/playbooks/{playbook_id}").status_code == 200
        again = client.create(idempotent=True, tags=["keep"])
        assert again == {**again, "session_id": kept, "is_new_session": False}
        fresh = client.create(tags=["new"])["session_id"]
        assert fresh not in (kept, ended)
        stats = server.stats()
    assert stats["sessions_created"] == 3 and stats["sessions_replayed"] == 2
    assert stats["create_requests"] == 2 and stats["idempotent_hits"] == 1

    with SimulatorServer(seed=3, journal_path=journal) as server:  # the torn line is isolated
        assert server.stats()["sessions_created"] == 3


@pytest.mark.parametrize(
    "kwargs",
    [{"speed": 0}, {"speed": -1.0}, {"failure_rate": 1.5}, {"fault_rate": -0.1}, {"port": 70000}],
)
def test_invalid_arguments(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        SimulatorServer(**kwargs)


def test_stop_is_idempotent_and_closes_port() -> None:
    server = SimulatorServer().start()
    client = Client(server)
    assert client.get("/auth_status").ok
    server.stop()
    server.stop()
    with pytest.raises(requests.ConnectionError):
        client.get("/auth_status")


def test_outage_answers_503_on_v1_for_its_duration_and_is_counted() -> None:
    with SimulatorServer(seed=4, speed=2000.0, failure_rate=0.0, fault_rate=1.0) as server:
        server._api.fault_rate = 0.0  # faults off for now: only the outage answers 503
        client = Client(server)
        before = client.create(idempotent=True, tags=["before"])["session_id"]
        root = server.base_url.removesuffix("/v1")
        assert sim_stats(server)["outage_until"] is None
        for bad in ({}, {"seconds": -1}, {"seconds": "ten"}, {"seconds": True}):
            assert requests.post(root + "/_sim/outage", json=bad, timeout=5).status_code == 422
        started = time.time()
        answer = requests.post(root + "/_sim/outage", json={"seconds": 0.6}, timeout=5)
        assert answer.status_code == 200
        assert started + 0.6 <= answer.json()["outage_until"] <= time.time() + 0.6

        server._api.fault_rate = 1.0  # an outage is not a fault: none is drawn during it
        rejected = [
            client.post("/sessions", {"prompt": PROMPT}),
            client.get("/sessions"),
            client.get(f"/sessions/{before}"),
            Client(server, {}).get("/auth_status"),  # before auth: the whole API is down
        ]
        assert [r.status_code for r in rejected] == [503] * 4
        assert all("Retry-After" not in r.headers for r in rejected)
        assert rejected[0].json() == {"detail": "Service Unavailable (simulated outage)"}
        during = sim_stats(server)  # /_sim/* stays up during an outage
        assert during["outage_active"] is True
        assert during["outage_until"] == answer.json()["outage_until"]
        assert during["outage_rejections"] == 4
        assert during["outage_rejections_by_route"]["POST /v1/sessions"] == 1
        assert during["create_requests"] == 1 and during["faults_injected"] == 0
        assert during["sessions_created"] == 1

        server._api.fault_rate = 0.0
        wait_for(lambda: time.time() >= during["outage_until"] + 0.01, timeout=3)
        assert client.session(before)["session_id"] == before
        after = sim_stats(server)
    assert after["outage_active"] is False and after["outage_rejections"] == 4


def test_outage_can_be_started_from_python_and_ended_early() -> None:
    with SimulatorServer(seed=4, speed=1.0) as server:
        client = Client(server)
        server.outage(60)
        assert client.get("/sessions").status_code == 503
        server.outage(0)
        assert client.get("/sessions").status_code == 200
        assert server.stats()["outage_rejections"] == 1


# -- ACUs -----------------------------------------------------------------------------------


def test_acus_are_reported_as_they_are_used_and_stay_plausible(fast_server: SimulatorServer) -> None:
    client = Client(fast_server)
    ids = [client.create(prompt=f"{PROMPT}\nTask {i}.")["session_id"] for i in range(10)]
    finals = [client.wait_done(i) for i in ids]
    used = [d["acus_consumed"] for d in finals]
    assert all(1.0 <= a <= 12 for a in used), used  # a real session uses several ACUs
    assert len(set(used)) > 5  # each session its own figure
    listed = {s["session_id"]: s["acus_consumed"] for s in client.get("/sessions").json()["sessions"]}
    assert [listed[i] for i in ids] == used


def test_acus_grow_step_by_step_and_never_past_the_end() -> None:
    plan = build_plan(plan_rng(3, "abc"), PROMPT, failure_rate=0.0)
    figures = [snapshot(plan, float(t)).acus_consumed for t in range(0, 900, 5)]
    assert figures[0] == 0.0 and figures == sorted(figures)
    assert figures[-1] == snapshot(plan, plan.end_at).acus_consumed > 0
    assert len(set(figures)) <= 6  # a new figure at each step, not at every read


def test_failing_sessions_burn_more_acus_than_a_fix_of_the_same_task() -> None:
    fixed = build_plan(plan_rng(3, "abc"), PROMPT, failure_rate=0.0)
    failed = build_plan(plan_rng(3, "abc"), PROMPT, failure_rate=1.0)
    assert failed.outcome in ("failed", "stuck") and fixed.outcome in ("finished", "idle_blocked")
    assert failed.acus_at(failed.end_at) > 1.25 * fixed.acus_at(fixed.end_at)


def test_a_session_that_reaches_its_acu_limit_is_suspended_there() -> None:
    with SimulatorServer(seed=7, speed=2000.0, failure_rate=0.0) as server:
        client = Client(server)
        session_id = client.create(max_acu_limit=1)["session_id"]
        detail = wait_for(lambda: (d := client.session(session_id))["status"] == "suspended" and d)
        time.sleep(0.2)  # and it stays there: a suspended session does not advance
        later = client.session(session_id)
    assert later == detail
    assert (detail["status_enum"], detail["status_detail"]) == ("suspend_requested", "usage_limit_exceeded")
    assert detail["acus_consumed"] == 1.0
    assert detail["pull_request"] is None
    assert detail["structured_output"]["current_step"] in ("analyzing", "fixing", "testing")
    assert "ACU limit (1 ACUs)" in detail["messages"][-1]["message"]


def test_a_generous_acu_limit_changes_nothing() -> None:
    with SimulatorServer(seed=7, speed=2000.0, failure_rate=0.0) as server:
        client = Client(server)
        capped = client.wait_done(client.create(max_acu_limit=50)["session_id"])
        free = client.wait_done(client.create(prompt=PROMPT + " ")["session_id"])
    assert capped["status_detail"] is None and capped["structured_output"]["current_step"] == "completed"
    assert free["status_detail"] is None
