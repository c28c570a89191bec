"""Response shapes of the Devin v1 API, parsed leniently: unknown fields are kept, missing
optional fields default, and `structured_output` may arrive as an object or a JSON string."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow")


class CreatedSession(_Lenient):
    session_id: str
    url: str | None = None
    is_new_session: bool | None = None  # only present when the create was idempotent


class PullRequestInfo(_Lenient):
    url: str | None = None


class SessionMessage(_Lenient):
    type: str | None = None
    event_id: str | None = None
    message: str | None = None
    timestamp: str | None = None


class SessionDetails(_Lenient):
    session_id: str
    status: str | None = None
    status_enum: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    title: str | None = None
    playbook_id: str | None = None
    tags: list[str] | None = None
    pull_request: PullRequestInfo | None = None
    structured_output: dict[str, Any] | None = None
    messages: list[SessionMessage] = Field(default_factory=list)
    # Not in v1's schema: v2 and v3 report ACUs used so far, and v3 why a session is suspended
    # (usage_limit_exceeded, out_of_credits, ...). None when the API does not say.
    acus_consumed: float | None = None
    status_detail: str | None = None

    @field_validator("acus_consumed", mode="before")
    @classmethod
    def _parse_acus(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            return None
        try:
            number = float(value)
        except ValueError:
            return None
        return number if number >= 0 and number == number and number != float("inf") else None

    @field_validator("status_detail", mode="before")
    @classmethod
    def _parse_detail(cls, value: Any) -> Any:
        return value if isinstance(value, str) and value else None

    @field_validator("structured_output", mode="before")
    @classmethod
    def _parse_output(cls, value: Any) -> Any:
        # The list endpoint has been documented to return it as a JSON string.
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return {"raw": value}
        return value if isinstance(value, dict) or value is None else {"raw": value}

    @field_validator("pull_request", mode="before")
    @classmethod
    def _parse_pr(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"url": value}
        if isinstance(value, list):  # tolerate a list of PRs: the first one is ours
            return value[0] if value else None
        return value

    @property
    def pr_url(self) -> str | None:
        if self.pull_request and self.pull_request.url:
            return self.pull_request.url
        output_url = (self.structured_output or {}).get("pr_url")
        return output_url if isinstance(output_url, str) and output_url else None


class PlaybookInfo(_Lenient):
    playbook_id: str
    title: str
    body: str | None = None
