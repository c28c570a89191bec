"""Ops: service levels of the selected run — durations, time to PR, throughput, ACU budget."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from engine.analytics import formatting as fmt
from engine.analytics.ops import LOW_SAMPLES, MIN_SAMPLES, ops_figures, wave_timings
from ui import charts
from ui import components as c

view = c.require_run()
c.page_header(
    "Operations",
    ":material/monitoring:",
    f"Durations are agent time. Statistics need {MIN_SAMPLES} samples; below {LOW_SAMPLES} they are "
    "marked as low-sample.",
)
c.run_caption(view)

now = datetime.now(UTC)
figures = ops_figures(view.state, now, active=view.status == "running")

st.subheader("Sessions", anchor=False)
cols = st.columns(4)
with cols[0]:
    c.stat_metric(
        "Session duration p50", figures.duration_p50, fmt.duration, "Median agent time of finished sessions."
    )
with cols[1]:
    c.stat_metric(
        "Session duration p95",
        figures.duration_p95,
        fmt.duration,
        "95th percentile agent time of finished sessions.",
    )
with cols[2]:
    c.stat_metric(
        "Time to PR p50",
        figures.time_to_pr_p50,
        fmt.duration,
        "Median agent time from dispatch to pull request.",
    )
with cols[3]:
    c.stat_metric(
        "Time to PR p95",
        figures.time_to_pr_p95,
        fmt.duration,
        "95th percentile agent time from dispatch to pull request.",
    )

st.subheader("Throughput and budget", anchor=False)
cols = st.columns(4)
with cols[0]:
    c.stat_metric(
        "Throughput",
        figures.throughput_per_hour,
        lambda v: f"{fmt.number(v)} / h",
        "Finished sessions per agent-clock hour since the run started.",
    )
if figures.projected_completion is not None:
    projected = c.when(figures.projected_completion)
    projected_help = "When the remaining findings should be done at the current throughput (wall clock)."
elif view.status == "running":
    projected, projected_help = "Not enough data", "Needs a measured throughput first."
else:
    projected, projected_help = "—", "Only for a run that is working now."
cols[1].metric("Projected completion", projected, help=projected_help, border=True)
estimated = figures.acu_used_estimated > 0
mark = " (est.)" if estimated else ""
basis = (
    f"{fmt.number(figures.acu_used_estimated)} of the ACUs are estimated from agent time: the API "
    "reported no usage for those sessions."
    if estimated
    else "ACUs as the API reported them."
)
cols[2].metric(
    f"ACU burn{mark}",
    f"{fmt.number(figures.acu_burn_per_hour)} / h" if figures.acu_burn_per_hour is not None else fmt.DASH,
    help=f"ACUs per agent-clock hour. {basis}",
    border=True,
)
cols[3].metric(
    f"ACU budget left{mark}",
    f"{fmt.number(figures.acu_remaining)} of {fmt.number(figures.acu_budget, 0)}",
    help="Budget: each planned finding's ACU cap × attempts allowed, minus the ACUs used. " + basis,
    border=True,
)
used = figures.acu_used / figures.acu_budget if figures.acu_budget else 0.0
st.progress(
    min(1.0, used),
    text=f"{fmt.number(figures.acu_used)} ACUs used{' (part estimated)' if estimated else ''} — "
    f"{fmt.percent(used)} of the budget",
)

st.subheader("Waves", anchor=False)
timings = wave_timings(view.state, now)
if timings["duration_s"].notna().any():
    charts.show(charts.wave_timings(timings.dropna(subset=["duration_s"])), "ops_wave_timings")
table = c.minutes(timings, "duration_s")
st.dataframe(
    table,
    hide_index=True,
    column_config={
        "wave": st.column_config.NumberColumn("Wave", width="small"),
        "status": "Status",
        "started": c.datetime_column("Started"),
        "completed": c.datetime_column("Completed"),
        "duration_s": c.duration_column(),
        "findings": st.column_config.NumberColumn("Findings", format="%d"),
    },
)
