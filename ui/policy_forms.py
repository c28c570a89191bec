"""The Policy page's tables and fields as the TOML documents the engine parses, and back.

No Streamlit here: the page draws the rows and values these functions produce, and the save
callbacks (ui/actions.py) turn what the user typed back into a document and hand it to the
engine's parsers (`parse_services`, `parse_policy`), whose BadInputError names the file and
the key. Cells are passed on as typed (a word where a number belongs, 2.5 sessions), so the
engine, not this module, decides what is valid."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.core.errors import BadInputError
from engine.policy import IMPORTANCE_WORDS, Policy, ServiceCatalog
from engine.policy.policy import parse_policy, policy_document
from engine.policy.service_agent import agent_document, parse_agent
from engine.policy.services import parse_services, services_document
from engine.policy.tomlio import Where

SERVICE_COLUMNS = ["name", "importance", "tags", "max_sessions_per_run"]
OBJECTIVE_COLUMNS = ["id", "title", "kind", "severity", "category", "fraction", "baseline", "active"]
ACU_CAP_COLUMNS = ["category", "severity", "max_acu"]
LIST_SECTIONS = ("objectives", "acu_caps")  # [[tables]], not key = value sections
# The policy form's fields, as "<section>.<key>" of policy.toml.
SLA_FIELDS = ("sla.critical", "sla.high", "sla.medium", "sla.low")
POLICY_FIELDS = (
    *SLA_FIELDS,
    "sla.at_risk_fraction",
    "budget.global_session_limit",
    "budget.global_period_hours",
    "budget.per_service_cap",
    "budget.acu_budget_per_run",
    "retry.max_attempts",
    "retry.cooldown_hours",
)
OPTIONAL_FIELDS = frozenset({"budget.per_service_cap", "budget.acu_budget_per_run"})
WHOLE_FIELDS = frozenset(
    {*SLA_FIELDS, "budget.global_session_limit", "budget.per_service_cap", "retry.max_attempts"}
)


def blank(value: object) -> bool:
    """An empty cell: None, NaN or only spaces."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _whole_if_integral(value: Any) -> Any:
    """5.0 (number cells come back as floats) becomes 5; 2.5 stays 2.5 for the engine to refuse."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _typed(text: str) -> Any:
    """A cell's text as the number it spells, else the text itself."""
    text = text.strip()
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


# --- services.toml ---------------------------------------------------------------------------


def service_rows(catalog: ServiceCatalog) -> list[dict[str, Any]]:
    """One row per service, importance as its word when it is one exactly."""
    words = {number: word for word, number in IMPORTANCE_WORDS.items()}
    return [
        {
            "name": p.name,
            "importance": words.get(p.importance, str(p.importance)),
            "tags": ", ".join(p.tags),
            "max_sessions_per_run": p.max_sessions_per_run,
            # Not a column: carried along so saving the table keeps each service's overrides.
            "agent": agent_document(p.agent) if p.agent is not None and not p.agent.empty else None,
        }
        for p in catalog.profiles
    ]


def _importance(value: Any) -> Any:
    if isinstance(value, str):
        return _typed(value)
    return _whole_if_integral(value)


def _tags(value: Any) -> list[str]:
    parts = value if isinstance(value, list) else str(value).split(",")
    return [str(tag).strip() for tag in parts if str(tag).strip()]


def services_document_of(rows: list[dict[str, Any]], path: Path) -> dict[str, Any]:
    """The services file for these rows. Rows without a name are left out; a name listed twice
    is an error (two rows would silently become one table)."""
    services: dict[str, Any] = {}
    for row in rows:
        if blank(row.get("name")):
            continue
        name = str(row["name"]).strip()
        if name in services:
            raise BadInputError(f"{path}: services.{name}: listed twice in the table")
        entry: dict[str, Any] = {}
        if not blank(row.get("importance")):
            entry["importance"] = _importance(row["importance"])
        if not blank(row.get("tags")):
            entry["tags"] = _tags(row["tags"])
        if not blank(row.get("max_sessions_per_run")):
            entry["max_sessions_per_run"] = _whole_if_integral(row["max_sessions_per_run"])
        if isinstance(row.get("agent"), dict) and row["agent"]:
            entry["agent"] = dict(row["agent"])
        services[name] = entry
    return {"services": services}


def services_catalog_of(
    rows: list[dict[str, Any]], path: Path, default_importance: int | None = None
) -> ServiceCatalog:
    """The catalog the rows describe (with the file's `default_importance`, which the table
    does not show), checked by the engine (BadInputError names the key)."""
    document = services_document_of(rows, path)
    if default_importance is not None:
        document["default_importance"] = default_importance
    return parse_services(document, path)


def services_changes(before: ServiceCatalog, after: ServiceCatalog) -> dict[str, Any]:
    """For the audit trail: services added, removed and changed (old and new entry)."""
    old = services_document(before)["services"]
    new = services_document(after)["services"]
    changes: dict[str, Any] = {}
    added = [name for name in new if name not in old]
    removed = [name for name in old if name not in new]
    changed = {
        name: {"old": old[name], "new": new[name]} for name in new if name in old and old[name] != new[name]
    }
    if added:
        changes["added"] = added
    if removed:
        changes["removed"] = removed
    if changed:
        changes["changed"] = changed
    return changes


# --- a service's agent overrides ([services.NAME.agent]) ------------------------------------

AGENT_FIELDS = ("instructions", "do_not_touch", "test_command", "reviewers")


def agent_values(catalog: ServiceCatalog, name: str) -> dict[str, str]:
    """The overrides form's starting text: paths one per line, reviewers comma-separated."""
    profile = catalog.profile(name)
    agent = profile.agent if profile is not None else None
    if agent is None:
        return dict.fromkeys(AGENT_FIELDS, "")
    return {
        "instructions": agent.instructions or "",
        "do_not_touch": "\n".join(agent.do_not_touch),
        "test_command": agent.test_command or "",
        "reviewers": ", ".join(agent.reviewers),
    }


def agent_table_of(values: Mapping[str, Any]) -> dict[str, Any]:
    """The `[services.NAME.agent]` table the form's text describes (empty fields left out)."""
    table: dict[str, Any] = {}
    for field in ("instructions", "test_command"):
        if not blank(values.get(field)):
            table[field] = str(values[field]).strip()
    paths = [line.strip() for line in str(values.get("do_not_touch") or "").splitlines() if line.strip()]
    if paths:
        table["do_not_touch"] = paths
    reviewers = [r for r in str(values.get("reviewers") or "").replace(",", " ").split() if r]
    if reviewers:
        table["reviewers"] = reviewers
    return table


def catalog_with_agent(
    catalog: ServiceCatalog, name: str, values: Mapping[str, Any], path: Path
) -> ServiceCatalog:
    """The catalog with `name`'s overrides replaced by the form's (all empty: removed),
    checked by the engine (BadInputError names the key)."""
    profile = catalog.profile(name)
    if profile is None:
        raise BadInputError(f"{path}: services.{name}: no such service; save the services table first")
    table = agent_table_of(values)
    agent = parse_agent(table, Where(path) / "services" / profile.name / "agent") if table else None
    return catalog.with_profile(profile.model_copy(update={"agent": agent}))


# --- policy.toml -----------------------------------------------------------------------------


def _split(field: str) -> tuple[str, str]:
    section, _, key = field.partition(".")
    return section, key


def policy_values(policy: Policy) -> dict[str, Any]:
    """The form's starting values: every field of POLICY_FIELDS (None for an unset option)."""
    document = policy_document(policy)
    values: dict[str, Any] = {}
    for field in POLICY_FIELDS:
        section, key = _split(field)
        values[field] = document[section].get(key)
    values["retry.cooldown_hours"] = ", ".join(f"{h:g}" for h in policy.cooldown_hours)
    return values


def objective_rows(policy: Policy) -> list[dict[str, Any]]:
    return [
        {
            "id": o.id,
            "title": o.title,
            "kind": o.kind,
            "severity": o.severity.value if o.severity else None,
            "category": o.category.value if o.category else None,
            "fraction": o.fraction,
            "baseline": o.baseline,
            "active": o.active,
        }
        for o in policy.objectives
    ]


def acu_cap_rows(policy: Policy) -> list[dict[str, Any]]:
    return [{"category": r.category, "severity": r.severity, "max_acu": r.max_acu} for r in policy.acu_caps]


def _acu_cap(row: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ACU cap table of one row (blank category or severity: any); None for an empty row.
    A row with a category or severity but no cap is passed on for the engine to refuse."""
    table = {}
    for column in ACU_CAP_COLUMNS:
        value = row.get(column)
        if blank(value):
            continue
        table[column] = _whole_if_integral(value.strip() if isinstance(value, str) else value)
    return table or None


def _cooldowns(value: Any) -> Any:
    if isinstance(value, list):
        return [_whole_if_integral(v) for v in value]
    text = str(value or "").strip()
    return [_typed(part) for part in text.split(",")] if text else []


def _objective(row: Mapping[str, Any]) -> dict[str, Any] | None:
    """The objective table of one row; None for a row left empty."""
    table = {}
    for column in OBJECTIVE_COLUMNS:
        value = row.get(column)
        if blank(value):
            continue
        if column == "active":
            table[column] = bool(value) if isinstance(value, bool) else value
        elif column == "baseline":
            table[column] = _whole_if_integral(value)
        elif isinstance(value, str):
            table[column] = value.strip()
        else:
            table[column] = value
    if set(table) <= {"active"}:
        return None
    return table


def policy_document_of(
    before: Policy,
    values: Mapping[str, Any],
    rows: list[dict[str, Any]] | None,
    path: Path,
    acu_cap_rows: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The policy file with the form's `values` (POLICY_FIELDS keys; fields not given keep
    `before`'s value), objective `rows` and ACU cap rows (None: keep `before`'s)."""
    document = policy_document(before)
    for field, value in values.items():
        if field not in POLICY_FIELDS:
            raise BadInputError(f"{path}: {field}: not a policy setting the app edits")
        section, key = _split(field)
        if field == "retry.cooldown_hours":
            document[section][key] = _cooldowns(value)
        elif blank(value):
            if field not in OPTIONAL_FIELDS:
                raise BadInputError(f"{path}: {field}: a value is required")
            document[section].pop(key, None)
        else:
            document[section][key] = _whole_if_integral(value) if field in WHOLE_FIELDS else value
    if rows is not None:
        objectives = [table for row in rows if (table := _objective(row)) is not None]
        document.pop("objectives", None)
        if objectives:
            document["objectives"] = objectives
    if acu_cap_rows is not None:
        caps = [table for row in acu_cap_rows if (table := _acu_cap(row)) is not None]
        document.pop("acu_caps", None)
        if caps:
            document["acu_caps"] = caps
    return document


def policy_of(
    before: Policy,
    values: Mapping[str, Any],
    rows: list[dict[str, Any]] | None,
    path: Path,
    acu_cap_rows: list[dict[str, Any]] | None = None,
) -> Policy:
    """The policy the form describes, checked by the engine (BadInputError names the key)."""
    return parse_policy(policy_document_of(before, values, rows, path, acu_cap_rows), path)


def _flat(document: dict[str, Any]) -> dict[str, Any]:
    return {
        f"{section}.{key}": value
        for section, table in document.items()
        if section not in LIST_SECTIONS
        for key, value in table.items()
    }


def policy_changes(before: Policy, after: Policy) -> dict[str, Any]:
    """For the audit trail: each changed setting's old and new value, and the objectives
    added, removed or changed (by id)."""
    old_doc, new_doc = policy_document(before), policy_document(after)
    old, new = _flat(old_doc), _flat(new_doc)
    changes: dict[str, Any] = {
        key: {"old": old.get(key), "new": new.get(key)}
        for key in [*old, *(k for k in new if k not in old)]
        if old.get(key) != new.get(key)
    }
    old_obj = {o["id"]: o for o in old_doc.get("objectives", [])}
    new_obj = {o["id"]: o for o in new_doc.get("objectives", [])}
    objectives = {
        "added": [i for i in new_obj if i not in old_obj],
        "removed": [i for i in old_obj if i not in new_obj],
        "changed": [i for i in new_obj if i in old_obj and old_obj[i] != new_obj[i]],
    }
    objectives = {what: ids for what, ids in objectives.items() if ids}
    if objectives:
        changes["objectives"] = objectives
    old_caps, new_caps = old_doc.get("acu_caps", []), new_doc.get("acu_caps", [])
    if old_caps != new_caps:
        changes["acu_caps"] = {"old": old_caps, "new": new_caps}
    return changes
