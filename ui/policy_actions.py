"""Button callbacks of the Policy page (admins): save the services and policy files, each
change checked on the server and audited."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from filelock import Timeout

from engine.access.roles import Action
from engine.core.errors import BadInputError
from engine.policy import load_policy, load_services
from engine.policy import save_policy as write_policy
from engine.policy import save_services as write_services
from ui import policy_forms
from ui.action_guard import audit, permitted, say
from ui.markup import code, md

# --- services and policy (admins) ------------------------------------------------------------
# engine.policy's save functions do not audit: these callbacks do.

SERVICES_EDITOR_KEY = "policy_services_editor"
SERVICES_BASE_KEY = "_pw_policy_services_base"  # the rows the services editor was drawn with
OBJECTIVES_EDITOR_KEY = "policy_objectives_editor"
OBJECTIVES_BASE_KEY = "_pw_policy_objectives_base"
ACU_CAPS_EDITOR_KEY = "policy_acu_caps_editor"
ACU_CAPS_BASE_KEY = "_pw_policy_acu_caps_base"


def policy_field_key(field: str) -> str:
    return f"policy_field::{field}"


def _edited_rows(base_key: str, editor_key: str) -> list[dict[str, object]] | None:
    """A data editor's rows after the user's edits (None: the editor was not drawn)."""
    base = st.session_state.get(base_key)
    if base is None:
        return None
    rows = [dict(r) for r in base]
    delta = st.session_state.get(editor_key) or {}
    for index, edits in (delta.get("edited_rows") or {}).items():
        if 0 <= int(index) < len(rows):
            rows[int(index)].update(edits)
    deleted = {int(i) for i in delta.get("deleted_rows") or []}
    rows = [r for i, r in enumerate(rows) if i not in deleted]
    rows.extend(dict(r) for r in delta.get("added_rows") or [])
    return rows


def save_services(rows: list[dict[str, object]] | None = None) -> None:
    """Save the Policy page's services table (or `rows`) to the services file; admins only."""
    allowed = permitted(Action.change_settings)
    if allowed is None:
        return
    s, who = allowed
    rows = rows if rows is not None else _edited_rows(SERVICES_BASE_KEY, SERVICES_EDITOR_KEY)
    if rows is None:
        say("error", "Services not saved: the table is gone; reload the page.")
        return
    path = Path(s.services_file)
    try:
        before = load_services(path)
        catalog = policy_forms.services_catalog_of(rows, path, before.default_importance)
    except BadInputError as exc:
        say("error", f"Services not saved: {md(exc)}")
        return
    changes = policy_forms.services_changes(before, catalog)
    if not changes:
        say("info", "Nothing changed in the services.")
        return
    try:
        write_services(path, catalog)
    except (OSError, Timeout) as exc:
        say("error", f"Services not saved: {md(exc)}")
        return
    audit(s, who, Action.change_settings, "services", changes)
    say("success", f"Saved {len(catalog)} service(s) to {code(path)}. New runs plan with them.")


def agent_field_key(service: str, field: str) -> str:
    return f"policy_agent::{service}::{field}"


def save_service_agent(service: str, values: dict[str, object] | None = None) -> None:
    """Save the overrides form of `service` (or `values`) to the services file; admins only."""
    allowed = permitted(Action.change_settings)
    if allowed is None:
        return
    s, who = allowed
    if values is None:
        values = {
            field: st.session_state.get(agent_field_key(service, field), "")
            for field in policy_forms.AGENT_FIELDS
        }
    path = Path(s.services_file)
    try:
        before = load_services(path)
        catalog = policy_forms.catalog_with_agent(before, service, values, path)
    except BadInputError as exc:
        say("error", f"Overrides not saved: {md(exc)}")
        return
    changes = policy_forms.services_changes(before, catalog)
    if not changes:
        say("info", f"Nothing changed in the overrides of {code(service)}.")
        return
    try:
        write_services(path, catalog)
    except (OSError, Timeout) as exc:
        say("error", f"Overrides not saved: {md(exc)}")
        return
    audit(s, who, Action.change_settings, "services", changes)
    say("success", f"Saved the agent overrides of {code(service)} to {code(path)}. New runs send them.")


def save_policy(
    values: dict[str, object] | None = None,
    objective_rows: list[dict[str, object]] | None = None,
    acu_cap_rows: list[dict[str, object]] | None = None,
) -> None:
    """Save the Policy page's policy form (or `values`, `objective_rows` and `acu_cap_rows`) to
    the policy file; admins only. Fields not given keep the file's values."""
    allowed = permitted(Action.change_settings)
    if allowed is None:
        return
    s, who = allowed
    if values is None:
        values = {
            field: st.session_state[policy_field_key(field)]
            for field in policy_forms.POLICY_FIELDS
            if policy_field_key(field) in st.session_state
        }
        objective_rows = _edited_rows(OBJECTIVES_BASE_KEY, OBJECTIVES_EDITOR_KEY)
        acu_cap_rows = _edited_rows(ACU_CAPS_BASE_KEY, ACU_CAPS_EDITOR_KEY)
    path = Path(s.policy_file)
    try:
        before = load_policy(path)
        policy = policy_forms.policy_of(before, values, objective_rows, path, acu_cap_rows)
    except BadInputError as exc:
        say("error", f"Policy not saved: {md(exc)}")
        return
    changes = policy_forms.policy_changes(before, policy)
    if not changes:
        say("info", "Nothing changed in the policy.")
        return
    try:
        write_policy(path, policy)
    except (OSError, Timeout) as exc:
        say("error", f"Policy not saved: {md(exc)}")
        return
    audit(s, who, Action.change_settings, "policy", changes)
    listed = ", ".join(code(name) for name in changes)
    say("success", f"Saved the policy to {code(path)} ({listed}). New runs plan with it.")
