"""Findings: every finding of the selected run in priority order, filterable."""

from __future__ import annotations

import streamlit as st

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
st.dataframe(
    shown,
    hide_index=True,
    column_order=COLUMNS,
    column_config={
        "rank": st.column_config.NumberColumn("Rank", width="small", help="1 = most urgent."),
        "finding_id": "Finding",
        "severity": "Severity",
        "category": "Category",
        "service": "Service",
        "score": st.column_config.NumberColumn("Score", width="small"),
        "score_parts": st.column_config.TextColumn(
            "Score parts",
            help="The priority score's parts: service importance, severity, SLA urgency, the "
            "category's fix rate, recurrence and objectives (against an empty history for a run "
            "without the findings ledger).",
        ),
        "title": st.column_config.TextColumn("Title", width="large"),
        "status": st.column_config.TextColumn(
            "Status",
            help="The finding's outcome: fixed (PR approved or merged), PR awaiting review, failed "
            "(no attempts left, no PR, or PR rejected) or open.",
        ),
        "attempts": st.column_config.NumberColumn("Attempts", width="small"),
        "session_url": c.link_column("Session", "Open session", "The agent session (Devin)."),
        "pull_request_url": c.link_column("PR", "Open PR", "The agent's pull request."),
        "review": st.column_config.TextColumn("Review", help="pending, approved or rejected."),
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
            held, hide_index=True, column_config={"detail": st.column_config.TextColumn(width="large")}
        )
