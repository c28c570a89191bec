"""Request bodies of the simulated v1 API and FastAPI-style 422 error details."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

MAX_SCHEMA_BYTES = 64 * 1024

M = TypeVar("M", bound=BaseModel)


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class SessionSecretInput(_Body):
    key: str
    value: str
    sensitive: bool = True


class CreateSessionParams(_Body):
    prompt: str = Field(min_length=1)
    snapshot_id: str | None = None
    unlisted: bool = False
    idempotent: bool = False
    max_acu_limit: int | None = Field(default=None, gt=0)
    secret_ids: list[str] | None = None
    knowledge_ids: list[str] | None = None
    session_secrets: list[SessionSecretInput] | None = None
    tags: list[str] | None = None
    title: str | None = None
    playbook_id: str | None = None
    structured_output_schema: dict[str, Any] | None = None

    @field_validator("structured_output_schema")
    @classmethod
    def _schema_limits(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return value
        if len(json.dumps(value).encode()) > MAX_SCHEMA_BYTES:
            raise ValueError("structured_output_schema must be at most 64 KB")
        if _has_external_ref(value):
            raise ValueError("structured_output_schema must be self-contained (no external $ref)")
        return value


class SendMessageParams(_Body):
    message: str


class UpdateTagsParams(_Body):
    tags: list[str]


class PlaybookParams(_Body):
    title: str = Field(min_length=1)
    body: str = Field(min_length=1)
    macro: str | None = None


def _has_external_ref(node: Any) -> bool:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            return True
        return any(_has_external_ref(v) for v in node.values())
    if isinstance(node, list):
        return any(_has_external_ref(v) for v in node)
    return False


class RequestValidationError(Exception):
    """A request body that failed validation; `detail` is the FastAPI-style error list."""

    def __init__(self, detail: list[dict[str, Any]]) -> None:
        super().__init__("invalid request body")
        self.detail = detail


def parse_json(raw: bytes) -> Any:
    """The decoded JSON body, or RequestValidationError shaped like FastAPI's."""
    if not raw.strip():
        raise RequestValidationError(
            [{"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}]
        )
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        pos = getattr(exc, "pos", 0)
        reason = getattr(exc, "msg", str(exc))
        raise RequestValidationError(
            [
                {
                    "type": "json_invalid",
                    "loc": ["body", pos],
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": reason},
                }
            ]
        ) from None


def validate(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(pydantic_detail(exc, prefix="body")) from None


def pydantic_detail(exc: ValidationError, *, prefix: str) -> list[dict[str, Any]]:
    detail = []
    for err in exc.errors(include_url=False):
        item: dict[str, Any] = {
            "type": err["type"],
            "loc": [prefix, *err["loc"]],
            "msg": err["msg"],
            "input": err.get("input"),
        }
        if err.get("ctx"):
            item["ctx"] = {
                k: v if isinstance(v, int | float | str) else str(v) for k, v in err["ctx"].items()
            }
        detail.append(item)
    # Inputs may be any JSON value; make sure the whole detail serializes.
    return json.loads(json.dumps(detail, default=str))
