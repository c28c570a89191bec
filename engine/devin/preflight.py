"""Before a live run starts: can it reach the agent API with its key, and the Git host when
pull request sync is configured?

`check_connection` is the one check the CLI (`run` and `resume` in live mode) and the app (the
Launch page's "Check connection", and the launch itself) call. It returns one problem per thing
that is wrong, each naming the URL and the setting to fix, and answers within
PREFLIGHT_DEADLINE_SECONDS whatever the network does: connects time out after a few seconds,
failed connects are not retried, and the two hosts are asked at the same time.

What is checked, in order, against the API: that the key is set, that the base URL answers
(`GET /sessions?limit=1`, a documented read that creates nothing), that it accepts the key (a
401 or 403 there), and that playbooks can be listed, which syncing them needs. A key that may
not list playbooks still gets working runs (every prompt carries its playbook's full text), so
that problem is a warning, not a refusal. With PR sync configured (GITHUB_TOKEN, or
GIT_API_BASE_URL set), the Git host must answer `GET /rate_limit` and accept the token."""

from __future__ import annotations

import concurrent.futures
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

import requests
from pydantic import BaseModel
from urllib3.util.retry import Retry

from engine.core.errors import BadInputError
from engine.devin.client import RETRY_STATUSES, DevinAPIError, DevinClient
from engine.ledger.pulls import GitPullRequests
from engine.settings.environment import Settings

CONNECT_TIMEOUT_SECONDS = 3.0
READ_TIMEOUT_SECONDS = 4.0
PREFLIGHT_DEADLINE_SECONDS = 8.0  # under the 10 s promised for an unreachable URL

Check = Literal["api_key", "api", "playbooks", "git_host"]


class PreflightProblem(BaseModel):
    check: Check
    message: str
    blocking: bool = True  # False: worth saying, but the run works anyway


@dataclass(frozen=True)
class ConnectionTarget:
    """What a live run will talk to. `git_api_base_url` None: PR sync is not configured."""

    api_base_url: str
    api_key: str | None
    git_api_base_url: str | None = None
    github_token: str | None = None


def target_of(settings: Settings, api_base_url: str | None = None) -> ConnectionTarget:
    """The target for `settings`; `api_base_url` replaces the settings' (a resumed run keeps
    the URL it was launched with)."""
    token = settings.github_token.get_secret_value().strip() if settings.github_token else ""
    git_configured = bool(token) or "git_api_base_url" in settings.model_fields_set
    return ConnectionTarget(
        api_base_url=api_base_url or settings.devin_api_base_url,
        api_key=settings.api_key,
        git_api_base_url=settings.git_api_base_url if git_configured else None,
        github_token=token or None,
    )


class PreflightError(BadInputError):
    """Live mode is not ready; the message lists every blocking problem, one per line."""

    def __init__(self, problems: list[PreflightProblem]) -> None:
        self.problems = problems
        lines = "\n".join(f"- {p.message}" for p in problems)
        super().__init__(f"live mode is not ready ({len(problems)} problem(s)):\n{lines}")


def blocking(problems: list[PreflightProblem]) -> list[PreflightProblem]:
    return [p for p in problems if p.blocking]


def require_connection(target: ConnectionTarget) -> list[PreflightProblem]:
    """Raises PreflightError when a blocking problem stands; otherwise returns the warnings."""
    problems = check_connection(target)
    if refused := blocking(problems):
        raise PreflightError(refused)
    return problems


def check_connection(
    target: ConnectionTarget, *, deadline: float = PREFLIGHT_DEADLINE_SECONDS
) -> list[PreflightProblem]:
    """Every problem found, API first; an empty list means live mode is ready."""
    pool = concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="preflight")
    checks = [(pool.submit(_check_api, target), "api", target.api_base_url, "DEVIN_API_BASE_URL")]
    if target.git_api_base_url is not None:
        url = target.git_api_base_url
        checks.append(
            (pool.submit(_check_git, url, target.github_token), "git_host", url, "GIT_API_BASE_URL")
        )
    problems: list[PreflightProblem] = []
    try:
        done, _ = concurrent.futures.wait([future for future, *_ in checks], timeout=deadline)
        for future, check, url, setting in checks:
            if future in done:
                problems.extend(future.result())
            else:  # a name lookup or a connection that ignores its timeouts
                problems.append(
                    PreflightProblem(
                        check=check,  # type: ignore[arg-type]
                        message=f"{url} did not answer within {deadline:g} s; "
                        f"check {setting} and the network",
                    )
                )
    finally:
        pool.shutdown(wait=False, cancel_futures=True)  # a hung check is left to its timeouts
    return problems


def _retry() -> Retry:
    """Busy answers (429, 5xx) are asked again briefly; a failed connect is not (it would only
    double the wait for an unreachable host)."""
    return Retry(
        total=4,
        connect=0,
        read=0,
        status=4,
        backoff_factor=0.2,
        backoff_max=1.0,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=None,
        respect_retry_after_header=False,  # a long Retry-After would outlast the deadline
        raise_on_status=False,
    )


def _not_http(url: str, setting: str, check: Check) -> PreflightProblem | None:
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc:
        return None
    return PreflightProblem(check=check, message=f"{setting} {url!r} is not an http(s) URL")


def _check_api(target: ConnectionTarget) -> list[PreflightProblem]:
    url = target.api_base_url
    if not target.api_key:
        return [PreflightProblem(check="api_key", message="DEVIN_API_KEY is not set; live mode needs it")]
    if (bad := _not_http(url, "DEVIN_API_BASE_URL", "api")) is not None:
        return [bad]
    client = DevinClient(
        url, target.api_key, timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS), retry=_retry()
    )
    try:
        try:
            client.list_sessions(limit=1)
        except DevinAPIError as exc:
            return [_api_problem(url, exc)]
        try:
            client.list_playbooks()
        except DevinAPIError as exc:
            answer = f"{exc.status}: {exc.detail}" if exc.status else exc.detail
            return [
                PreflightProblem(
                    check="playbooks",
                    blocking=False,
                    message=f"playbooks cannot be synced with the Devin API at {url} ({answer}); "
                    "sessions still get each playbook's full text in their prompt",
                )
            ]
    finally:
        client.close()
    return []


def _api_problem(url: str, exc: DevinAPIError) -> PreflightProblem:
    if exc.status is None:
        return PreflightProblem(
            check="api",
            message=f"the Devin API at {url} is unreachable ({exc.detail}); check DEVIN_API_BASE_URL "
            "and the network",
        )
    if exc.status in (401, 403):
        return PreflightProblem(
            check="api_key",
            message=f"the Devin API at {url} refused the API key ({exc.status}: {exc.detail}); "
            "check DEVIN_API_KEY",
        )
    if exc.status == 404:
        return PreflightProblem(
            check="api",
            message=f"{url} is not a Devin API v1 base URL (GET /sessions answered 404); "
            "check DEVIN_API_BASE_URL",
        )
    return PreflightProblem(
        check="api",
        message=f"the Devin API at {url} answers with an error ({exc.status}: {exc.detail}); try again later",
    )


def _check_git(url: str, token: str | None) -> list[PreflightProblem]:
    if (bad := _not_http(url, "GIT_API_BASE_URL", "git_host")) is not None:
        return [bad]
    with GitPullRequests(url, token, retry=_retry()) as git:
        try:
            # GitHub's cheapest authenticated read; it does not count against the rate limit.
            response = git.http.get(
                git.base_url + "/rate_limit", timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS)
            )
        except requests.RequestException as exc:
            reason = getattr(exc.args[0] if exc.args else exc, "reason", None) or exc
            return [
                PreflightProblem(
                    check="git_host",
                    message=f"the Git host at {url} is unreachable ({str(reason)[:200]}); "
                    "check GIT_API_BASE_URL and the network (pull request sync needs it)",
                )
            ]
    if response.status_code == 401:
        return [
            PreflightProblem(
                check="git_host",
                message=f"the Git host at {url} refused GITHUB_TOKEN (401); check the token",
            )
        ]
    if response.status_code >= 500:
        return [
            PreflightProblem(
                check="git_host",
                message=f"the Git host at {url} answers with an error ({response.status_code}); "
                "try again later",
            )
        ]
    # Anything else is a host that answers: GitHub Enterprise without rate limits says 404 here.
    return []
