"""Findings: every finding of the selected run in priority order, filterable."""

from __future__ import annotations

import streamlit as st

from engine.analytics import formatting as fmt
from engine.analytics.exports import csv_export
from engine.analytics.ordering import SEVERITY_ORDER
from engine.analytics.tables import filter_findings, findings_table, held_back_table
from ui import components as c
from ui import context, loaders

COLUMNS = [
    "rank",
    "finding_id",
    "severity",
    "category",
    "service",
    "score",
    "score_parts",
    "title",
    "status",
    "attempts",
    "session_url",
    "pull_request_url",
    "review",
]
# What the table shows at 1440 px without scrolling sideways; rank and score parts (below the
# table) and attempts (Sessions page) are in the CSV download too.
SHOWN = [col for col in COLUMNS if col not in ("rank", "score_parts", "attempts")]

view = c.require_run()
ctx = context.current()
c.page_header("Findings", ":material/bug_report:")
c.run_caption(view)

table = findings_table(
    view.state,
    loaders.decisions(ctx.runs_dir, view.run_id),
    loaders.merged_pull_requests(ctx.runs_dir, view.state.data_source),  # merged PRs are fixes too
)


def options(column: str) -> list[str]:
    values = sorted(set(table[column].dropna()))
    if column == "severity":
        values.sort(key=lambda v: SEVERITY_ORDER.get(v, 99))
    return values


with st.container(horizontal=True, key="findings_filters"):
    severities = st.multiselect("Severity", options("severity"), key="findings_severity", placeholder="All")
    categories = st.multiselect("Category", options("category"), key="findings_category", placeholder="All")
    services = st.multiselect("Service", options("service"), key="findings_service", placeholder="All")
    statuses = st.multiselect("Status", options("status"), key="findings_status", placeholder="All")

shown = filter_findings(table, severities, categories, services, statuses)
shown = c.http_links(shown, ["session_url", "pull_request_url"])
with st.container(horizontal=True, vertical_alignment="center"):
    st.caption(f"Showing **{len(shown):,}** of {len(table):,} findings, most urgent first.")
    st.download_button(
        "Download CSV",
        csv_export(shown[COLUMNS]),
        file_name=f"{view.run_id}-findings.csv",
        mime="text/csv",
        key="findings_download",
        icon=":material/download:",
        on_click="ignore",
        help="The findings shown, with the filters applied. Spreadsheet formulas in the text are "
        "neutralised.",
    )
shown["severity"] = shown["severity"].map(lambda s: f"{c.SEVERITY_ICONS.get(s, '')} {s}")
shown["category"] = shown["category"].map(fmt.category_label)
st.dataframe(
    shown,
    hide_index=True,
    row_height=c.WRAPPED_ROW_HEIGHT,
    column_order=SHOWN,
    column_config={
        "finding_id": st.column_config.TextColumn("Finding", width=145),
        "severity": st.column_config.TextColumn("Severity", width=90),
        "category": st.column_config.TextColumn("Category", width=110),
        "service": st.column_config.TextColumn("Service", width=95),
        "score": st.column_config.NumberColumn(
            "Score", width=55, help="The priority score; its parts are listed below the table."
        ),
        "title": st.column_config.TextColumn("Title", width=120),
        "status": st.column_config.TextColumn(
            "Status",
            width=130,
            help="The finding's outcome: fixed (PR approved or merged), PR awaiting review, failed "
            "(no attempts left, no PR, or PR rejected) or open.",
        ),
        "session_url": c.link_column("Session", "Open", "The agent session (Devin).", width=60),
        "pull_request_url": c.link_column("PR", "Open", "The agent's pull request.", width=60),
        "review": st.column_config.TextColumn("Review", width=75, help="Pending, approved or rejected."),
    },
)
with st.expander("Score parts", icon=":material/functions:"):
    st.caption(
        "The priority score's parts: service importance, severity, SLA urgency, the category's fix "
        "rate, recurrence and objectives (against an empty history for a run without the findings ledger)."
    )
    st.dataframe(
        shown[["rank", "finding_id", "score", "score_parts"]],
        hide_index=True,
        key="findings_score_parts",
        column_config={
            "rank": st.column_config.NumberColumn("Rank", width=60, help="1 = most urgent."),
            "finding_id": st.column_config.TextColumn("Finding", width=170),
            "score": st.column_config.NumberColumn("Score", width=70),
            "score_parts": st.column_config.TextColumn("Parts", width=620),
        },
    )
held = held_back_table(view.state)
if not held.empty:
    with st.expander(f"Not in this run ({len(held):,})", icon=":material/pause_circle:"):
        st.caption(
            "Findings of the upload the findings ledger kept out of this run, and why: work in "
            "progress elsewhere, already fixed or triaged, cooling down, or over a budget."
        )
        st.dataframe(
            held,
            hide_index=True,
            row_height=c.WRAPPED_ROW_HEIGHT,
            column_config={
                "finding_id": st.column_config.TextColumn("Finding", width=155),
                "severity": st.column_config.TextColumn("Severity", width=75),
                "service": st.column_config.TextColumn("Service", width=95),
                "title": st.column_config.TextColumn("Title", width=150),
                "reason": st.column_config.TextColumn("Reason", width=130),
                "detail": st.column_config.TextColumn("Detail", width=240),
                "when": st.column_config.TextColumn("When", width=90),
            },
        )
