"""The memory as pages show it: the lesson table (Memory page) and the lessons one session's
prompt carried (Sessions page). Lesson text is agent output and reviewers' words: shown in
dataframes and `st.text`, never as markdown."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from engine.analytics.memory import SessionLesson
from engine.core.errors import BadInputError
from engine.memory import MemoryBook, memory_store
from ui import components as c
from ui.markup import md

TABLE_COLUMNS = {
    "status": "Status",
    "kind": "Kind",
    "category": "Category",
    "service": "Service",
    "language": "Language",
    "confidence": st.column_config.ProgressColumn(
        "Confidence",
        min_value=0.0,
        max_value=1.0,
        format="%.2f",
        help="How far the lesson is trusted: a rejected or regressed fix lowers it, a verified one "
        "raises it.",
    ),
    "evidence": st.column_config.NumberColumn("Evidence", help="Sessions that taught it.", width="small"),
    "uses": st.column_config.NumberColumn("Used", help="Sessions whose prompt carried it.", width="small"),
    "outcomes": st.column_config.TextColumn("Outcomes of those sessions", width="medium"),
    "lesson": st.column_config.TextColumn("Lesson", width="large"),
    "learned_from": st.column_config.TextColumn("Learned from (newest first)", width="large"),
    "updated_at": None,
    "item_id": st.column_config.TextColumn("Id", width="small"),
}


def lesson_table(table: pd.DataFrame, key: str) -> None:
    config = dict(TABLE_COLUMNS)
    config["updated_at"] = c.datetime_column("Updated")
    st.dataframe(table, hide_index=True, width="stretch", column_config=config, key=key)


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
            column_config={
                "kind": "Kind",
                "lesson": st.column_config.TextColumn("Lesson", width="large"),
                "confidence_then": st.column_config.NumberColumn("Confidence then", format="%.2f"),
                "confidence_now": st.column_config.NumberColumn("Confidence now", format="%.2f"),
                "status": "Status",
                "item_id": "Id",
            },
        )
