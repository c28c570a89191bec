"""Button callbacks of the Memory page. Each checks the caller's role first
(ui.action_guard.permitted); engine.memory.hooks checks it again and writes the audit trail."""

from __future__ import annotations

import streamlit as st
from filelock import Timeout

from engine.access.roles import Action
from engine.core.errors import BadInputError
from engine.memory.hooks import retire_lesson_as
from ui import context
from ui.action_guard import permitted, say
from ui.markup import code, md

MEMORY_SOURCE_KEY = "memory_source"
RETIRE_PICK_KEY = "memory_retire_pick"
RETIRE_REASON_KEY = "memory_retire_reason"
DATA_SOURCES = ("live", "simulated")


def retire_lesson(data_source: str) -> None:
    """Retires the lesson picked in the form, with the reason typed there."""
    allowed = permitted(Action.curate_memory)
    if allowed is None:
        return
    settings, who = allowed
    if data_source not in DATA_SOURCES:
        say("error", f"There is no {code(data_source)} memory: use live or simulated.")
        return
    item_id = st.session_state.get(RETIRE_PICK_KEY)
    reason = st.session_state.get(RETIRE_REASON_KEY)
    if not item_id:
        say("error", "Pick the lesson to retire.")
        return
    try:
        retire_lesson_as(
            context.runs_dir_of(settings),
            who,
            data_source,
            str(item_id),
            reason if isinstance(reason, str) else "",
        )
    except BadInputError as exc:
        say("error", f"The lesson was not retired: {md(exc)}")
        return
    except (OSError, Timeout) as exc:
        say(
            "error",
            f"The lesson was not retired: the memory or the audit trail could not be written ({md(exc)}).",
        )
        return
    st.session_state.pop(RETIRE_REASON_KEY, None)
    say("success", f"Retired lesson {code(item_id)}: no new session's prompt will carry it.")
