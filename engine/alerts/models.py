"""Alerts, and the record of each attempt to deliver one.

An `Alert` is what the engine has to say; its `id` names it across every retry and channel,
so a receiver that sees the same id twice (header `X-Patchwave-Delivery`) can drop the copy.
An `AlertDelivery` is one line of `<runs_dir>/_shared/alerts.jsonl`: one alert on one channel, and
how that went. Neither ever holds a webhook URL's path or a signing secret."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticSerializationError, to_jsonable_python

from engine.core.models import utcnow

Channel = Literal["slack", "webhook"]
Outcome = Literal["delivered", "failed", "dropped"]


class AlertKind(StrEnum):
    fix_verified = "fix_verified"
    sla_breached = "sla_breached"
    objective_met = "objective_met"
    run_completed = "run_completed"
    wave_gated = "wave_gated"


def new_alert_id() -> str:
    return uuid4().hex


class Alert(BaseModel):
    """One alert. `title` is one line (inner whitespace and line breaks collapse to single
    spaces); `text` is a few lines of plain text; `details` must be JSON-serialisable and is
    kept in its JSON form; `at` is always UTC (a naive time is taken as UTC)."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=new_alert_id, min_length=1)
    kind: AlertKind
    title: str
    text: str = ""
    run_id: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    at: datetime = Field(default_factory=utcnow)

    @field_validator("title")
    @classmethod
    def _one_line(cls, value: str) -> str:
        line = " ".join(value.split())
        if not line:
            raise ValueError("an alert needs a title")
        return line

    @field_validator("text")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        return value.strip()

    @field_validator("details")
    @classmethod
    def _json_ready(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            return to_jsonable_python(value)
        except (PydanticSerializationError, ValueError, TypeError) as exc:
            raise ValueError(f"details must be JSON-serialisable: {exc}") from exc

    @field_validator("at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class DeliveryResult(BaseModel):
    """How one delivery of one alert on one channel went. `host` is the webhook's host (and
    port), never its path; `status` is the last HTTP status seen, None when no answer came;
    `error` says why it failed, with every secret part of the URL redacted."""

    channel: Channel
    host: str | None = None
    ok: bool
    status: int | None = None
    error: str | None = None


class AlertDelivery(BaseModel):
    """One line of `alerts.jsonl`: an alert on a channel was delivered, failed after its
    retries, or was dropped before any attempt (queue full, or the sender closed first)."""

    at: datetime = Field(default_factory=utcnow)
    alert_id: str
    kind: AlertKind
    run_id: str | None = None
    channel: Channel
    host: str | None = None
    outcome: Outcome
    ok: bool
    status: int | None = None
    error: str | None = None
