"""Memory: the lessons learned from earlier sessions, how often each was used and how those
sessions ended; reviewers may retire one (audited)."""

from __future__ import annotations

import streamlit as st

from engine.access.roles import Action
from engine.analytics.memory import memory_counts, memory_table
from engine.core.data_sources import store_source
from engine.core.errors import BadInputError
from engine.ledger.ops import default_data_source
from engine.memory import memory_store
from ui import components as c
from ui import context, loaders, memory_actions, memory_panels

ctx = context.current()
settings = context.settings()
c.page_header(
    "Memory",
    ":material/psychology:",
    "What fixed which category in which service and language, and what failed and why, learned "
    "from failed sessions, reviews and scans. New sessions' prompts carry the few best lessons for "
    "their finding.",
)
# The selected run's memory (a hybrid run's is the live one), else the mode in effect.
preferred = store_source(ctx.view.entry.data_source) if ctx.view else default_data_source(settings)
source = st.segmented_control(
    "Data source",
    list(memory_actions.DATA_SOURCES),
    default=preferred,
    key=memory_actions.MEMORY_SOURCE_KEY,
    required=True,
    format_func={"live": "Live (Devin API)", "simulated": "Simulated"}.get,
    help="One memory per data source, so simulated lessons never reach a live prompt.",
)
source = source if source in memory_actions.DATA_SOURCES else preferred
try:
    book = memory_store(ctx.runs_dir).read(source)
except BadInputError as exc:
    st.error(f"The memory cannot be read: {c.md(exc)}", icon=":material/broken_image:")
    st.stop()

counts = memory_counts(book)
if not book.items:
    if not loaders.entries(ctx.runs_dir):
        c.empty_state()  # nothing has run yet: the next step is a first run
    st.info(
        f"The {source} memory is empty. Lessons come from failed sessions, approved and rejected pull "
        "requests, and scans that verify a merged fix or see it come back.",
        icon=":material/inbox:",
    )
    st.stop()
cols = st.columns(4)
cols[0].metric("Active lessons", counts.active)
cols[1].metric("Fixes · pitfalls", f"{counts.fixes} · {counts.pitfalls}")
cols[2].metric(
    "Used in prompts", counts.uses, help="Sessions whose prompt carried a lesson, summed over lessons."
)
cols[3].metric("Retired", counts.retired)

table = memory_table(book)
memory_panels.lesson_table(table, key=f"memory_table::{source}")

st.subheader("Retire a lesson", anchor=False)
if not context.allowed(Action.curate_memory):
    st.caption("Reviewers and admins may retire a lesson that is wrong or out of date.")
    st.stop()
active = {i.item_id: i for i in book.items.values() if i.retired is None}
if not active:
    st.caption("Every lesson is retired.")
    st.stop()
with st.container(border=True):
    st.selectbox(
        "Lesson",
        list(table.loc[table["status"] == "active", "item_id"]),
        key=memory_actions.RETIRE_PICK_KEY,
        format_func=lambda i: (
            f"{active[i].kind.value} · {active[i].category.value} · {active[i].service} · "
            f"{active[i].text[:80]}"
        ),
        help="A retired lesson stays listed here, but no new session's prompt carries it.",
    )
    st.text_input("Reason", key=memory_actions.RETIRE_REASON_KEY, placeholder="Why it no longer holds")
    st.button(
        "Retire lesson",
        icon=":material/archive:",
        on_click=memory_actions.retire_lesson,
        args=(source,),
        help="Recorded in the audit trail with your e-mail and the reason.",
    )
