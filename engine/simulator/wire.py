"""Requests and responses of the simulator's HTTP servers, free of HTTP plumbing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes = b""


@dataclass
class Response:
    status: int
    body: Any  # JSON-serializable; None is sent as the JSON literal `null`
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # sent as is, with `content_type`, instead of `body` as JSON
    content_type: str = "application/json"


def text(status: int, data: str, content_type: str) -> Response:
    return Response(status, None, raw=data.encode(), content_type=f"{content_type}; charset=utf-8")


def error(status: int, detail: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status, {"detail": detail}, headers or {})
