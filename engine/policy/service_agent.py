"""`[services.NAME.agent]` in the services file: what the agent is told about that service.

    [services.payment-service.agent]
    instructions = "Use the helpers in lib/crypto; never add a new cryptography dependency."
    do_not_touch = ["migrations/", "src/legacy/**"]
    test_command = "make test-payments"
    reviewers = ["alice", "@acme/payments-team"]

Every key is optional; see engine.core.agent_overrides for what each may hold and why."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from engine.core.agent_overrides import OVERRIDE_FIELDS, AgentOverrides
from engine.policy.tomlio import Where, reject_unknown, shown, table

if TYPE_CHECKING:
    from engine.policy.services import ServiceCatalog

AGENT_KEYS = OVERRIDE_FIELDS
_LISTS = ("do_not_touch", "reviewers")


def parse_agent(raw: Any, where: Where) -> AgentOverrides:
    data = table(raw, where)
    reject_unknown(data, AGENT_KEYS, where)
    for key in AGENT_KEYS:
        if key not in data:
            continue
        value = data[key]
        if key in _LISTS:
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                raise (where / key).error(f"expected a list of strings, got {shown(value)}")
        elif not isinstance(value, str):
            raise (where / key).error(f"expected a string, got {shown(value)}")
    try:
        return AgentOverrides.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        at = where
        for part in first["loc"]:
            at = at / part  # type: ignore[operator]
        raise at.error(first["msg"].removeprefix("Value error, ")) from exc


def agent_document(overrides: AgentOverrides) -> dict[str, Any]:
    """The table as written to the services file (only the keys that are set)."""
    return overrides.model_dump(exclude_defaults=True)


def agent_overrides_of(catalog: ServiceCatalog) -> dict[str, AgentOverrides]:
    """Service name (as the file spells it) -> its overrides, for the services that set any."""
    return {p.name: p.agent for p in catalog.profiles if p.agent is not None and not p.agent.empty}
