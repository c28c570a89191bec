"""A small client for the Devin REST API v1 (and the simulator, which speaks the same paths).

One `requests.Session` carries the key, a timeout on every call, and urllib3 `Retry` for the
answers worth retrying (429 with its Retry-After, 500, 502, 503, 504) with jittered backoff.
Creates are sent with `idempotent: true`, so retrying one can never make a second session."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from engine.devin.schemas import CreatedSession, PlaybookInfo, SessionDetails

RETRY_STATUSES = (429, 500, 502, 503, 504)
DEFAULT_TIMEOUT = (5.0, 30.0)  # (connect, read) seconds
LIST_PAGE_LIMIT = 1000  # the documented maximum


class DevinAPIError(Exception):
    def __init__(self, status: int | None, detail: str, method: str, path: str) -> None:
        where = f"{method} {path}"
        super().__init__(f"{where} failed ({status or 'no response'}): {detail}")
        self.status = status
        self.detail = detail


class SessionNotFoundError(DevinAPIError):
    pass


ERROR_KINDS = ("connection", "auth", "not_found", "rate_limited", "server", "rejected")


def error_kind(status: int | None) -> str:
    """One of ERROR_KINDS for a failed call's status (None: no answer at all)."""
    if status is None:
        return "connection"
    if status in (401, 403):
        return "auth"
    if status == 404:
        return "not_found"
    if status == 429:
        return "rate_limited"
    return "server" if status >= 500 else "rejected"


def build_retry(total: int = 6, backoff: float = 0.5) -> Retry:
    return Retry(
        total=total,
        connect=3,
        read=2,
        status=total,
        backoff_factor=backoff,
        backoff_jitter=backoff,
        backoff_max=30,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=None,  # POST too: creates are idempotent, messages are harmless twice
        respect_retry_after_header=True,
        raise_on_status=False,
    )


class DevinClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        retry: Retry | None = None,
    ) -> None:
        if not api_key or not api_key.strip():
            raise ValueError("an API key is required")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()
        # Proxy and CA settings from the environment are read once here: left to requests,
        # every call would scan the whole environment again.
        self.http.trust_env = False
        self.http.proxies = requests.utils.get_environ_proxies(self.base_url)
        self.http.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        adapter = HTTPAdapter(max_retries=retry or build_retry(), pool_maxsize=16)
        self.http.mount("http://", adapter)
        self.http.mount("https://", adapter)
        self.http.headers.update({"Authorization": f"Bearer {api_key}", "User-Agent": "patchwave/0.1"})
        self.requests_sent = 0
        self.errors: Counter[str] = Counter()  # failed calls (after retries) by error_kind
        # Every 429 the API answered, including those urllib3 retried unseen: the engine's
        # dispatch pacing (engine.execute.pacing) slows down on them.
        self.rate_limited = 0

    def close(self) -> None:
        self.http.close()

    # -- sessions ---------------------------------------------------------------------------

    def create_session(
        self,
        prompt: str,
        *,
        playbook_id: str | None = None,
        tags: list[str] | None = None,
        title: str | None = None,
        structured_output_schema: dict[str, Any] | None = None,
        max_acu_limit: int | None = None,
        idempotent: bool = True,
    ) -> CreatedSession:
        body: dict[str, Any] = {"prompt": prompt, "idempotent": idempotent}
        optional = {
            "playbook_id": playbook_id,
            "tags": tags,
            "title": title,
            "structured_output_schema": structured_output_schema,
            "max_acu_limit": max_acu_limit,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        return CreatedSession.model_validate(self._call("POST", "/sessions", json=body))

    def get_session(self, session_id: str) -> SessionDetails:
        return SessionDetails.model_validate(self._call("GET", f"/sessions/{session_id}"))

    def list_sessions(
        self, *, tags: list[str] | None = None, limit: int = 100, offset: int = 0
    ) -> list[SessionDetails]:
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if tags:
            params["tags"] = tags
        data = self._call("GET", "/sessions", params=params)
        return [SessionDetails.model_validate(s) for s in data.get("sessions", [])]

    def iter_sessions(self, *, tags: list[str] | None = None) -> Iterator[SessionDetails]:
        """Every session carrying all `tags`, each once, across pages."""
        seen: set[str] = set()
        offset = 0
        while True:
            page = self.list_sessions(tags=tags, limit=LIST_PAGE_LIMIT, offset=offset)
            for session in page:
                if session.session_id not in seen:
                    seen.add(session.session_id)
                    yield session
            if len(page) < LIST_PAGE_LIMIT:
                return
            offset += len(page)

    def send_message(self, session_id: str, message: str) -> None:
        self._call("POST", f"/sessions/{session_id}/message", json={"message": message})

    def terminate_session(self, session_id: str) -> str:
        data = self._call("DELETE", f"/sessions/{session_id}")
        return str((data or {}).get("detail", ""))

    def update_tags(self, session_id: str, tags: list[str]) -> None:
        self._call("PUT", f"/sessions/{session_id}/tags", json={"tags": tags})

    # -- playbooks --------------------------------------------------------------------------

    def list_playbooks(self) -> list[PlaybookInfo]:
        data = self._call("GET", "/playbooks")
        items = data.get("items", []) if isinstance(data, dict) else data
        return [PlaybookInfo.model_validate(p) for p in items or []]

    def create_playbook(self, title: str, body: str, macro: str | None = None) -> PlaybookInfo:
        payload = {"title": title, "body": body, **({"macro": macro} if macro else {})}
        return PlaybookInfo.model_validate(self._call("POST", "/playbooks", json=payload))

    def update_playbook(self, playbook_id: str, title: str, body: str, macro: str | None = None) -> None:
        payload = {"title": title, "body": body, **({"macro": macro} if macro else {})}
        self._call("PUT", f"/playbooks/{playbook_id}", json=payload)

    # -- transport --------------------------------------------------------------------------

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        self.requests_sent += 1
        try:
            response = self.http.request(method, self.base_url + path, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            self.errors[error_kind(None)] += 1
            raise DevinAPIError(None, _describe(exc), method, path) from exc
        self.rate_limited += _rate_limited_answers(response)
        if response.status_code >= 400:
            self.errors[error_kind(response.status_code)] += 1
            detail = _detail(response)
            error = SessionNotFoundError if response.status_code == 404 else DevinAPIError
            raise error(response.status_code, detail, method, path)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            return response.text


def _rate_limited_answers(response: requests.Response) -> int:
    """429s behind this response: those its retries went through, and its own status."""
    retries = getattr(response.raw, "retries", None)
    history = getattr(retries, "history", None) or ()
    return sum(1 for attempt in history if attempt.status == 429) + (response.status_code == 429)


def _detail(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason
    detail = body.get("detail") if isinstance(body, dict) else body
    return detail if isinstance(detail, str) else str(detail)[:300]


def _describe(exc: requests.RequestException) -> str:
    # Retry exhaustion wraps the last cause; show that rather than urllib3's long repr.
    cause = exc.args[0] if exc.args else exc
    reason = getattr(cause, "reason", None)
    return str(reason or cause)[:300]
