"""The steps every UI action shares: the settings (an invalid one said, not raised), the
caller's role checked on the server (engine.access.roles), the audit entry after the action
succeeded (engine.access.audit), and the messages the page shows once the callback has run
(`components.flash`). Messages are markdown: values from people, files or errors are escaped
first (ui/markup.py). Hiding a button is only a courtesy; `permitted` is what protects."""

from __future__ import annotations

from typing import Literal

import streamlit as st
from filelock import Timeout
from pydantic import ValidationError

from engine.access.audit import record_audit
from engine.access.roles import Action, Identity, require
from engine.core.errors import BadInputError, PermissionDeniedError
from engine.settings.environment import Settings, describe_invalid_settings, load_settings
from ui import context, identity
from ui.markup import md

_MESSAGES_KEY = "_pw_messages"

Kind = Literal["success", "error", "warning", "info"]


def say(kind: Kind, text: str) -> None:
    st.session_state.setdefault(_MESSAGES_KEY, []).append((kind, text))


def take_messages() -> list[tuple[Kind, str]]:
    return st.session_state.pop(_MESSAGES_KEY, [])


def settings_or_say(**overrides: object) -> Settings | None:
    try:
        return load_settings(**overrides)
    except ValidationError as exc:
        problems = describe_invalid_settings(exc)
        say("error", f"Invalid setting: {md(problems)}")
        return None
    except BadInputError as exc:  # an unreadable settings file
        say("error", f"Invalid setting: {md(exc)}")
        return None


def authorize(s: Settings, action: Action) -> Identity | None:
    """The caller, when allowed to do `action`; otherwise says why not and returns None."""
    try:
        who = identity.resolve(s)
    except BadInputError as exc:
        say("error", f"Access roles could not be read: {md(exc)}")
        return None
    if who is None:
        say("error", f"Sign in to {action.value}.")
        return None
    try:
        require(who, action)
    except PermissionDeniedError as exc:
        say("error", f"Not allowed: {md(exc)}.")
        return None
    return who


def permitted(action: Action, **overrides: object) -> tuple[Settings, Identity] | None:
    """The settings and the caller, when the caller may do `action`; otherwise None, with the
    reason said. Every action starts here: the server-side check hidden buttons rely on."""
    s = settings_or_say(**overrides)
    if s is None:
        return None
    who = authorize(s, action)
    return None if who is None else (s, who)


def audit(s: Settings, who: Identity, action: Action, target: str, details: dict[str, object]) -> None:
    try:
        record_audit(context.runs_dir_of(s), who, action, target, details)
    except (OSError, Timeout) as exc:
        say("warning", f"Done, but the audit trail could not be written: {md(exc)}")
