"""The memory as pages show it: the lesson table (Memory page) and the lessons one session's
prompt carried (Sessions page). Lesson text is agent output and reviewers' words: shown in
dataframes and `st.text`, never as markdown."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from engine.analytics import formatting as fmt
from engine.analytics.memory import SessionLesson
from engine.core.errors import BadInputError
from engine.memory import MemoryBook, memory_store
from ui import components as c
from ui.markup import md

TABLE_COLUMNS = {
    "status": st.column_config.TextColumn("Status", width=75),
    "kind": st.column_config.TextColumn("Kind", width=80),
    "category": st.column_config.TextColumn("Category", width=110),
    "service": st.column_config.TextColumn("Service", width=95),
    "language": st.column_config.TextColumn("Language", width=85),
    "confidence": st.column_config.ProgressColumn(
        "Confidence",
        min_value=0.0,
        max_value=1.0,
        format="%.2f",
        width=95,
        help="How far the lesson is trusted: a rejected or regressed fix lowers it, a verified one "
        "raises it.",
    ),
    "evidence": st.column_config.NumberColumn("Evidence", help="Sessions that taught it.", width=70),
    "uses": st.column_config.NumberColumn("Used", help="Sessions whose prompt carried it.", width=55),
    "lesson": st.column_config.TextColumn("Lesson", width=270, help="Click a cell for the whole lesson."),
}
# At 1440 px these fit; where each lesson came from, its outcomes and its id are in the detail
# table below.
DETAIL_COLUMNS = {
    "item_id": st.column_config.TextColumn("Id", width=150),
    "outcomes": st.column_config.TextColumn("Outcomes of the sessions that used it", width=260),
    "learned_from": st.column_config.TextColumn("Learned from (newest first)", width=360),
}


def lesson_table(table: pd.DataFrame, key: str) -> None:
    shown = table.assign(category=table["category"].map(fmt.category_label))
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        row_height=c.WRAPPED_ROW_HEIGHT,
        column_order=list(TABLE_COLUMNS),
        column_config=TABLE_COLUMNS,  # type: ignore[arg-type]
        key=key,
    )
    with st.expander("Where each lesson came from", icon=":material/history_edu:"):
        config: dict[str, object] = {**DETAIL_COLUMNS, "updated_at": c.datetime_column("Updated")}
        st.dataframe(
            shown,
            hide_index=True,
            width="stretch",
            row_height=c.WRAPPED_ROW_HEIGHT,
            column_order=["item_id", "updated_at", "outcomes", "learned_from"],
            column_config=config,  # type: ignore[arg-type]
            key=f"{key}::sources",
        )


def book_or_empty(runs_dir: Path, data_source: str) -> MemoryBook:
    """The memory for the session detail; a damaged memory file is named, not fatal there."""
    try:
        return memory_store(runs_dir).read(data_source)
    except BadInputError as exc:
        st.warning(f"The memory cannot be read: {md(exc)}", icon=":material/broken_image:")
        return MemoryBook()


def session_lessons(lessons: list[SessionLesson]) -> None:
    """The Sessions page: which lessons from memory this session's prompt carried."""
    with st.container(border=True):
        st.markdown("**Lessons from memory**")
        if not lessons:
            st.caption(
                "None: the memory held no lesson for this category in this service or language when "
                "the session was created."
            )
            return
        st.caption("Sent in the prompt as untrusted hints, best first; the Memory page lists every lesson.")
        rows = [
            {
                "kind": lesson.kind,
                "lesson": lesson.text,
                "confidence_then": lesson.confidence_then,
                "confidence_now": lesson.confidence_now,
                "status": lesson.status,
                "item_id": lesson.item_id,
            }
            for lesson in lessons
        ]
        st.dataframe(
            pd.DataFrame(rows),
            hide_index=True,
            row_height=c.WRAPPED_ROW_HEIGHT,
            column_config={
                "kind": "Kind",
                "lesson": st.column_config.TextColumn("Lesson", width="large"),
                "confidence_then": st.column_config.NumberColumn("Confidence then", format="%.2f"),
                "confidence_now": st.column_config.NumberColumn("Confidence now", format="%.2f"),
                "status": "Status",
                "item_id": "Id",
            },
        )
