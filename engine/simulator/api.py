"""Routing, auth, fault injection and the v1 endpoint handlers, free of HTTP plumbing."""

from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from engine.simulator.pull_pages import pull_page_response
from engine.simulator.pulls import PAGE_PATH, PULL_PATH, PullRequests
from engine.simulator.rate_limit import TokenBucket, retry_after_header
from engine.simulator.records import ORG_ID, REQUESTING_USER_EMAIL, playbook_response
from engine.simulator.schemas import (
    CreateSessionParams,
    PlaybookParams,
    RequestValidationError,
    SendMessageParams,
    UpdateTagsParams,
    parse_json,
    validate,
)
from engine.simulator.state import Store
from engine.simulator.wire import Request, Response, error, text

ALREADY_EXITED = "Devin session already exited"
OUTAGE_DETAIL = "Service Unavailable (simulated outage)"
FAULT_STATUSES = (429, 503, 500)
_FAULT_DETAIL = {
    429: "Too Many Requests",
    503: "Service Unavailable",
    500: "Internal Server Error",
}
# Any other key is accepted; this one stands for a key the API does not accept.
INVALID_KEY_PREFIX = "invalid"
INVALID_KEY_DETAIL = "Forbidden: the API key is not valid for this API"
RATE_LIMIT_DETAIL = "Too Many Requests: rate limit exceeded"
_BEARER = re.compile(r"^\s*Bearer\s+(\S.*)$", re.IGNORECASE)


_ID = r"(?P<id>[^/]+)"
# (method, path regex, route key for stats, handler name)
_ROUTES: tuple[tuple[str, str, str, str], ...] = (
    ("GET", r"/v1/auth_status", "/v1/auth_status", "auth_status"),
    ("POST", r"/v1/sessions", "/v1/sessions", "create_session"),
    ("GET", r"/v1/sessions", "/v1/sessions", "list_sessions"),
    ("GET", rf"/v1/sessions/{_ID}", "/v1/sessions/{id}", "get_session"),
    ("GET", rf"/v1/session/{_ID}", "/v1/session/{id}", "get_session"),
    ("DELETE", rf"/v1/sessions/{_ID}", "/v1/sessions/{id}", "terminate_session"),
    ("POST", rf"/v1/sessions/{_ID}/message", "/v1/sessions/{id}/message", "send_message"),
    ("POST", rf"/v1/session/{_ID}/message", "/v1/session/{id}/message", "send_message"),
    ("PUT", rf"/v1/sessions/{_ID}/tags", "/v1/sessions/{id}/tags", "update_tags"),
    ("GET", r"/v1/playbooks", "/v1/playbooks", "list_playbooks"),
    ("POST", r"/v1/playbooks", "/v1/playbooks", "create_playbook"),
    ("GET", rf"/v1/playbooks/{_ID}", "/v1/playbooks/{id}", "get_playbook"),
    ("PUT", rf"/v1/playbooks/{_ID}", "/v1/playbooks/{id}", "update_playbook"),
    ("DELETE", rf"/v1/playbooks/{_ID}", "/v1/playbooks/{id}", "delete_playbook"),
)
_COMPILED = tuple((m, re.compile(p), key, name) for m, p, key, name in _ROUTES)


class Api:
    def __init__(
        self,
        store: Store,
        *,
        seed: int,
        fault_rate: float,
        archive_dir: Path | None = None,
        root_url: str = "",
        rate_limit: float = 0.0,
        rate_burst: int = 10,
    ) -> None:
        """`rate_limit`: /v1 requests a second this API answers (0: no limit), after a burst
        of `rate_burst` (engine.simulator.rate_limit)."""
        self.store = store
        self.rate_limit = TokenBucket(rate_limit, rate_burst) if rate_limit > 0 else None
        self.root_url = root_url  # this server's own scheme://host:port
        self.fault_rate = fault_rate
        self._fault_rng = random.Random(f"patchwave-sim-faults:{seed}")
        self._fault_lock = threading.Lock()
        # A simulated outage: every /v1 request answers 503 until this time.monotonic() reading;
        # outage_until says when on the simulator's clock (epoch seconds), for people and tests.
        self._outage_ends: float | None = None
        self.outage_until: float | None = None
        self.outage_rejections = 0
        self.outage_rejections_by_route: Counter[str] = Counter()
        self.pulls = PullRequests(store, archive_dir)

    # -- dispatch ---------------------------------------------------------------------------

    def handle(self, req: Request) -> Response:
        path = req.path.rstrip("/") or "/"
        if path == "/_sim" or path.startswith("/_sim/"):
            return self._sim(req, path)
        if path.startswith("/repos/"):
            return self._pull_request(req, path)
        if not path.startswith("/v1/") and (page := PAGE_PATH.fullmatch(path)) is not None:
            return self._pull_page(req, page)
        key, handler, params, allowed = self._match(req.method, path)
        self.store.count_request(f"{req.method} {key}")
        if path != "/v1" and not path.startswith("/v1/"):
            return error(404, "Not Found")
        if self._in_outage(f"{req.method} {key}"):
            return error(503, OUTAGE_DETAIL)  # no Retry-After: a real outage does not say when it ends
        refused = self._auth_refusal(req.headers)
        if refused is not None:
            return refused
        if self.rate_limit is not None and (wait := self.rate_limit.take()) is not None:
            self.store.count("rate_limited")
            return error(429, RATE_LIMIT_DETAIL, {"Retry-After": retry_after_header(wait)})
        creating = handler == "create_session"
        if creating:
            self.store.count("create_requests")
        fault = self._draw_fault(creating)
        if fault is not None:
            status, after_work = fault
            if after_work and handler is not None:
                self._call(handler, req, params)  # the work happens, the response is lost
            self.store.count_fault(status)
            headers = {"Retry-After": "1"} if status == 429 else {}
            return error(status, _FAULT_DETAIL[status], headers)
        if handler is None:
            if allowed:
                return error(405, "Method Not Allowed", {"Allow": ", ".join(sorted(allowed))})
            return error(404, "Not Found")
        return self._call(handler, req, params)

    def _match(self, method: str, path: str) -> tuple[str, str | None, dict[str, str], set[str]]:
        allowed: set[str] = set()
        key = "<unmatched>"
        for route_method, pattern, route_key, name in _COMPILED:
            found = pattern.fullmatch(path)
            if not found:
                continue
            key = route_key
            if route_method == method:
                return key, name, {k: unquote(v) for k, v in found.groupdict().items()}, allowed
            allowed.add(route_method)
        return key, None, {}, allowed

    def _call(self, handler: str, req: Request, params: dict[str, str]) -> Response:
        method: Callable[..., Response] = getattr(self, handler)
        try:
            return method(req, **params)
        except RequestValidationError as exc:
            return Response(422, {"detail": exc.detail})

    @staticmethod
    def _auth_refusal(headers: Mapping[str, str]) -> Response | None:
        """401 without a bearer token; 403 for a key that starts with INVALID_KEY_PREFIX (the
        real API's answer to a revoked key or one of another API version); None: accepted."""
        match = _BEARER.match(headers.get("Authorization") or "")
        if not (match and match.group(1).strip()):
            return error(401, "Missing or invalid API key", {"WWW-Authenticate": "Bearer"})
        if match.group(1).strip().lower().startswith(INVALID_KEY_PREFIX):
            return error(403, INVALID_KEY_DETAIL)
        return None

    def _draw_fault(self, creating: bool) -> tuple[int, bool] | None:
        if self.fault_rate <= 0:
            return None
        with self._fault_lock:
            if self._fault_rng.random() >= self.fault_rate:
                return None
            status = self._fault_rng.choice(FAULT_STATUSES)
            after_work = creating and status == 500 and self._fault_rng.random() < 0.5
        return status, after_work

    def _in_outage(self, route: str) -> bool:
        with self._fault_lock:
            if not self._outage_active():
                return False
            self.outage_rejections += 1
            self.outage_rejections_by_route[route] += 1
            return True

    def _outage_active(self) -> bool:
        return self._outage_ends is not None and time.monotonic() < self._outage_ends

    def start_outage(self, seconds: float) -> float:
        """Every /v1 request answers 503 for `seconds` from now (0 ends an outage). Returns
        when the outage ends on the simulator's clock (epoch seconds)."""
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or not 0 <= seconds <= 86400:
            raise ValueError("seconds must be a number between 0 and 86400")
        with self._fault_lock:
            self._outage_ends = time.monotonic() + float(seconds)
            self.outage_until = self.store.now() + float(seconds)
            return self.outage_until

    def stats(self) -> dict[str, Any]:
        stats = self.store.stats(fault_rate=self.fault_rate)
        with self._fault_lock:
            stats.update(
                outage_until=self.outage_until,
                outage_active=self._outage_active(),
                outage_rejections=self.outage_rejections,
                outage_rejections_by_route=dict(sorted(self.outage_rejections_by_route.items())),
            )
        bucket = self.rate_limit
        stats["rate_limit"] = (
            {"per_second": bucket.rate, "burst": bucket.burst, "refused": bucket.refused} if bucket else None
        )
        return stats

    def _sim(self, req: Request, path: str) -> Response:
        method = req.method
        if method == "GET" and path == "/_sim/stats":
            return Response(200, self.stats())
        if method == "POST" and path == "/_sim/outage":
            try:
                body = parse_json(req.body)
                seconds = body.get("seconds") if isinstance(body, dict) else None
                until = self.start_outage(seconds)  # type: ignore[arg-type]
            except (RequestValidationError, ValueError) as exc:
                return error(422, getattr(exc, "detail", str(exc)))
            return Response(200, {"outage_until": until, "seconds": float(seconds)})
        if method == "POST" and path == "/_sim/pulls":
            try:
                body = parse_json(req.body)
                if not isinstance(body, dict):
                    raise ValueError("expected a JSON object with url and state")
                return Response(200, self.pulls.set_state(str(body.get("url")), str(body.get("state"))))
            except (RequestValidationError, ValueError) as exc:
                return error(422, getattr(exc, "detail", str(exc)))
        if method == "GET" and path == "/_sim/health":
            return Response(200, {"status": "ok"})
        return error(404, "Not Found")

    def _pull_request(self, req: Request, path: str) -> Response:
        """GitHub's pull request shape, for the ledger's tracker (see simulator/pulls.py)."""
        found = PULL_PATH.fullmatch(path)
        if found is None:
            return error(404, "Not Found")
        if req.method != "GET":
            return error(405, "Method Not Allowed", {"Allow": "GET"})
        owner, repo, number = found["owner"], found["repo"], int(found["number"])
        if "diff" in (req.headers.get("Accept") or ""):  # application/vnd.github.diff, as GitHub
            pull_record = self.pulls.record(owner, repo, number)
            return text(200, pull_record.diff, "text/x-diff") if pull_record else error(404, "Not Found")
        pull = self.pulls.github(owner, repo, number, self.root_url)
        return Response(200, pull) if pull is not None else error(404, "Not Found")

    def _pull_page(self, req: Request, found: re.Match[str]) -> Response:
        """The pull request's page, `.diff` and `.json` (what simulated sessions link to)."""
        if req.method != "GET":
            return error(405, "Method Not Allowed", {"Allow": "GET"})
        pull = self.pulls.record(found["owner"], found["repo"], int(found["number"]))
        if pull is None:
            return error(404, "Not Found")
        state, _ = self.pulls.state(pull.path)
        return pull_page_response(pull, state, found["ext"])

    # -- sessions ---------------------------------------------------------------------------

    def auth_status(self, req: Request) -> Response:
        return Response(200, {"status": "ok", "org_id": ORG_ID})

    def create_session(self, req: Request) -> Response:
        body = parse_json(req.body)
        params = validate(CreateSessionParams, body)
        record, is_new = self.store.create_session(body, params)
        out: dict[str, Any] = {
            "session_id": record.session_id,
            "url": f"https://app.devin.ai/sessions/{record.session_id.removeprefix('devin-')}",
        }
        if params.idempotent:
            out["is_new_session"] = is_new
        return Response(200, out)

    def get_session(self, req: Request, id: str) -> Response:
        record = self.store.find(id)
        if record is None:
            return error(404, "Session not found")
        with self.store.lock:
            detail = record.detail(self.store.now(), self.store.speed)
        self.pulls.reported(record, detail["structured_output"])
        return Response(200, detail)

    def list_sessions(self, req: Request) -> Response:
        limit = _int_query(req.query, "limit", 100, low=1, high=1000)
        offset = _int_query(req.query, "offset", 0, low=0)
        _int_query(req.query, "skip", 0, low=0)  # accepted, undocumented purpose: ignored
        wanted = {t for t in req.query.get("tags", []) if t}
        emails = [e for e in req.query.get("user_email", []) if e]
        now = self.store.now()
        with self.store.lock:
            records = [
                r
                for r in self.store.sessions.values()
                if wanted.issubset(r.tags) and all(e.casefold() == REQUESTING_USER_EMAIL for e in emails)
            ]
            records.sort(key=lambda r: (r.created_at, r.seq), reverse=True)
            listed = records[offset : offset + limit]
            snaps = [r.state(now, self.store.speed) for r in listed]
            page = [r.summary(now, self.store.speed, snap) for r, snap in zip(listed, snaps, strict=True)]
        for record, snap in zip(listed, snaps, strict=True):
            self.pulls.reported(record, snap.structured_output)
        return Response(200, {"sessions": page})

    def send_message(self, req: Request, id: str) -> Response:
        params = validate(SendMessageParams, parse_json(req.body))
        with self.store.lock:
            record = self.store.find(id)
            if record is None:
                return error(404, "Session not found")
            if record.state(self.store.now(), self.store.speed).exited:
                return error(400, ALREADY_EXITED)
            self.store.add_message(record, params.message)
        self.store.count("messages_received")
        return Response(200, None)

    def terminate_session(self, req: Request, id: str) -> Response:
        with self.store.lock:
            record = self.store.find(id)
            if record is None:
                return error(404, "Session not found")
            if record.state(self.store.now(), self.store.speed).exited:
                return error(400, ALREADY_EXITED)
            self.store.terminate(record)
        self.store.count("sessions_terminated")
        return Response(200, {"detail": "Session terminated successfully"})

    def update_tags(self, req: Request, id: str) -> Response:
        params = validate(UpdateTagsParams, parse_json(req.body))
        with self.store.lock:
            record = self.store.find(id)
            if record is None:
                return error(404, "Session not found")
            self.store.set_tags(record, params.tags)
        return Response(200, {"detail": "Tags updated successfully"})

    # -- playbooks --------------------------------------------------------------------------

    def list_playbooks(self, req: Request) -> Response:
        with self.store.lock:
            items = sorted(self.store.playbooks.values(), key=lambda p: p["created_at"])
            return Response(200, [playbook_response(p) for p in items])

    def create_playbook(self, req: Request) -> Response:
        params = validate(PlaybookParams, parse_json(req.body))
        return Response(200, self.store.create_playbook(params.title, params.body, params.macro))

    def get_playbook(self, req: Request, id: str) -> Response:
        with self.store.lock:
            found = self.store.playbooks.get(id)
            if found is None:
                return error(404, "Playbook not found")
            return Response(200, playbook_response(found))

    def update_playbook(self, req: Request, id: str) -> Response:
        params = validate(PlaybookParams, parse_json(req.body))
        with self.store.lock:
            if id not in self.store.playbooks:
                return error(404, "Playbook not found")
            self.store.update_playbook(id, params.title, params.body, params.macro)
        return Response(200, {"status": "success"})

    def delete_playbook(self, req: Request, id: str) -> Response:
        with self.store.lock:
            if id not in self.store.playbooks:
                return error(404, "Playbook not found")
            self.store.delete_playbook(id)
        return Response(200, {"status": "success"})


def _int_query(
    query: Mapping[str, list[str]], name: str, default: int, *, low: int, high: int | None = None
) -> int:
    values = query.get(name)
    if not values:
        return default
    raw = values[-1]
    loc = ["query", name]
    try:
        value = int(raw.strip())
    except ValueError:
        raise RequestValidationError(
            [
                {
                    "type": "int_parsing",
                    "loc": loc,
                    "input": raw,
                    "msg": "Input should be a valid integer, unable to parse string as an integer",
                }
            ]
        ) from None
    if value < low:
        raise RequestValidationError(
            [
                {
                    "type": "greater_than_equal",
                    "loc": loc,
                    "input": raw,
                    "ctx": {"ge": low},
                    "msg": f"Input should be greater than or equal to {low}",
                }
            ]
        )
    if high is not None and value > high:
        raise RequestValidationError(
            [
                {
                    "type": "less_than_equal",
                    "loc": loc,
                    "input": raw,
                    "ctx": {"le": high},
                    "msg": f"Input should be less than or equal to {high}",
                }
            ]
        )
    return value
