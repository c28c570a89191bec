"""History: every run, and two runs side by side."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from engine.analytics.history import compare_runs, history_table
from ui import components as c
from ui import context, loaders

ctx = context.current()
c.page_header("History", ":material/history:", "Every run in the runs folder, newest first.")
runs = loaders.entries(ctx.runs_dir)
if not runs:
    c.empty_state()
    st.stop()

statuses = loaders.shown_statuses(ctx.runs_dir, runs, ctx.view)
table = history_table(runs, statuses, datetime.now(UTC))
table["status"] = table["status"].map(c.status_label)
table["duration_s"] = table["duration_s"] / 60.0
st.dataframe(
    table,
    hide_index=True,
    column_config={
        "run_id": "Run",
        "started": c.datetime_column("Started"),
        "status": "Status",
        "findings": st.column_config.NumberColumn("Findings", format="%d"),
        "success_rate": c.rate_column("Success rate", "Findings fixed out of findings decided."),
        "pull_requests": st.column_config.NumberColumn("PRs", format="%d"),
        "duration_s": st.column_config.NumberColumn(
            "Duration (wall clock)",
            format="%.1f min",
            help="From start to completion, or to now for a run that has not completed.",
        ),
        "data_source": "Data source",
    },
)

with st.container(horizontal=True, vertical_alignment="bottom"):
    opened = st.selectbox(
        "Open a run",
        [e.run_id for e in runs],
        format_func=lambda rid: f"{rid} · {statuses[rid]}",
        key="history_open",
    )
    st.button(
        "Open in Overview",
        icon=":material/arrow_forward:",
        on_click=context.go_to_run,
        args=(opened,),
        key="history_open_button",
    )

st.subheader("Compare two runs", anchor=False)
ids = [e.run_id for e in runs]
by_id = {e.run_id: e for e in runs}
left, right = st.columns(2)
a = left.selectbox("Run A", ids, index=0, key="history_compare_a")
b = right.selectbox("Run B", ids, index=min(1, len(ids) - 1), key="history_compare_b")
if len(ids) < 2:
    st.caption("Only one run so far: it is compared with itself.")
st.dataframe(compare_runs(by_id[a], by_id[b], statuses), hide_index=True, column_config={"metric": "Metric"})
