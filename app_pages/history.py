"""History: every run, and two runs side by side."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from engine.analytics.held_back import held_back_groups
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
reviews, _ = loaders.reviews_by_run(ctx.runs_dir, runs)
decisions = [d for run_reviews in reviews.values() for d in run_reviews]
held = [e for e in runs if e.held_back]
if held:  # prominent: findings a run planned but did not work on, and what to do
    lines = []
    for e in sorted(held, key=lambda e: e.created_at, reverse=True)[:5]:
        groups = held_back_groups(
            [reason for reason, n in e.held_back.items() for _ in range(n)], e.data_source
        )
        why = "; ".join(f"{g.count:,} {c.md(g.label)} (to change: {c.md(g.advice)})" for g in groups)
        lines.append(f"- Run {c.code(e.run_id)}: **{sum(e.held_back.values()):,} held back** — {why}")
    more = f"\n\n…and {len(held) - 5} more runs." if len(held) > 5 else ""
    st.warning(
        f"**{len(held):,} runs held findings back.**\n\n" + "\n".join(lines) + more,
        icon=":material/pause_circle:",
    )
table = history_table(runs, statuses, datetime.now(UTC), decisions)
table["status"] = table["status"].map(c.status_label)
# Every column fits at 1440 px: a generated run id says when the run started.
table = table.drop(columns=["started"])
table["duration_s"] = table["duration_s"] / 60.0
st.dataframe(
    table,
    hide_index=True,
    column_config={
        "run_id": st.column_config.TextColumn("Run", width=190),
        "status": st.column_config.TextColumn("Status", width=110),
        "findings": st.column_config.NumberColumn(
            "Findings", format="%d", width=65, help="Every finding of the upload, held-back ones included."
        ),
        "fixed": st.column_config.NumberColumn("Fixed", format="%d", width=50, help="PR approved or merged."),
        "awaiting_review": st.column_config.NumberColumn(
            "Awaiting review", format="%d", width=110, help="PR awaiting review."
        ),
        "failed": st.column_config.NumberColumn(
            "Failed", format="%d", width=55, help="No attempts left, no PR, or PR rejected."
        ),
        "held_back": st.column_config.NumberColumn(
            "Held back",
            format="%d",
            width=70,
            help="Findings the run did not work on (see the notice above).",
        ),
        "fix_rate": c.rate_column("Fix rate", "Fixed out of fixed + failed.", width=75),
        "duration_s": st.column_config.NumberColumn(
            "Duration",
            format="%.1f min",
            width=70,
            help="Wall clock: from start to completion, or to now for a run that has not completed.",
        ),
        "data_source": st.column_config.TextColumn("Data", width=75),
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
compared = compare_runs(by_id[a], by_id[b], statuses, decisions)
st.dataframe(
    compared.assign(metric=compared["metric"].map(lambda m: m[:1].upper() + m[1:])),
    hide_index=True,
    column_config={"metric": "Metric"},
)
