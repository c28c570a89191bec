"""ROI: engineer time and money saved against the agents' estimated cost, over all runs."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

import pandas as pd
import streamlit as st

from engine.analytics import formatting as fmt
from engine.analytics.cost import runs_cost
from engine.analytics.roi import (
    RoiAssumptions,
    executive_report_html,
    roi_charts,
    run_roi,
    total_roi,
)
from ui import charts, context, loaders
from ui import components as c
from ui.cost_section import cost_breakdown_section

ctx = context.current()
c.page_header(
    "Return on investment",
    ":material/savings:",
    "Every run in the runs folder. Agent cost is an estimate: the Devin API reports no usage, so ACUs "
    "are derived from agent time.",
)
runs = loaders.entries(ctx.runs_dir)
if not runs:
    c.empty_state()
    st.stop()

settings = context.settings()
defaults = RoiAssumptions(price_per_acu=settings.price_per_acu, minutes_per_acu=settings.minutes_per_acu)
with st.container(border=True):
    st.markdown("**Assumptions** — change them to see the figures follow.")
    cols = st.columns(4)
    hours_per_fix = cols[0].number_input(
        "Engineer hours per fix",
        0.1,
        200.0,
        defaults.hours_per_fix,
        0.5,
        key="roi_hours_per_fix",
        help="How long one fix would take an engineer by hand.",
    )
    hourly_rate = cols[1].number_input(
        "Engineer cost ($/hour)",
        0.0,
        2000.0,
        defaults.hourly_rate,
        5.0,
        key="roi_hourly_rate",
        help="Loaded cost of an engineer hour.",
    )
    price_per_acu = cols[2].number_input(
        "Price per ACU ($)",
        0.0,
        100.0,
        defaults.price_per_acu,
        0.25,
        key="roi_price_per_acu",
        help="What one Agent Compute Unit costs.",
    )
    minutes_per_acu = cols[3].number_input(
        "Agent minutes per ACU",
        1.0,
        600.0,
        defaults.minutes_per_acu,
        1.0,
        key="roi_minutes_per_acu",
        help="Used to estimate ACUs from agent time.",
    )
assumptions = RoiAssumptions(
    hours_per_fix=hours_per_fix,
    hourly_rate=hourly_rate,
    price_per_acu=price_per_acu,
    minutes_per_acu=minutes_per_acu,
)

reviews, damaged = loaders.reviews_by_run(ctx.runs_dir, runs)
for damage in damaged:
    st.warning(f"{c.md(damage)} That run's reviews count as none here.", icon=":material/broken_image:")
figures = [run_roi(e, reviews[e.run_id], assumptions) for e in runs]
total = total_roi(figures)

cols = st.columns(6)
cols[0].metric(
    "Hours saved", fmt.number(total.hours_saved), border=True, help=f"{total.successful_fixes} fixes."
)
cols[1].metric("Money saved", fmt.money(total.money_saved), border=True)
cols[2].metric(
    "Est. agent cost",
    fmt.money(total.agent_cost),
    border=True,
    help=f"{fmt.number(total.acus)} ACUs, estimated.",
)
cols[3].metric("Net savings", fmt.money(total.net_savings), border=True)
cols[4].metric(
    "ROI multiple", fmt.multiple(total.roi_multiple), border=True, help="Money saved ÷ agent cost."
)
cols[5].metric(
    "Acceptance rate",
    fmt.percent(total.acceptance_rate),
    border=True,
    help=f"Approved pull requests out of reviewed ones ({total.reviewed} reviewed).",
)
if total.reviewed:
    st.caption(f"{total.approved} of {total.reviewed} reviewed pull requests approved.")

generated = datetime.now(UTC)
states, damaged_states = loaders.states_of(ctx.runs_dir, runs)
cost = runs_cost(states, generated, assumptions.price_per_acu, assumptions.minutes_per_acu)
st.download_button(
    "Download executive report",
    # Built on click: the report embeds plotly.js (megabytes), too heavy to build on every rerun.
    data=partial(executive_report_html, figures, assumptions, generated, cost),
    file_name="patchwave-executive-report.html",
    mime="text/html",
    icon=":material/download:",
    type="primary",
    on_click="ignore",
    help="A one-page HTML report with these figures, charts and assumptions.",
)

figs = roi_charts(figures)
left, right = st.columns(2, gap="medium")
with left:
    charts.show(figs["cumulative"], "roi_cumulative")
with right:
    charts.show(figs["per_run"], "roi_per_run")

st.subheader("Per run", anchor=False)
table = pd.DataFrame([f.model_dump() for f in sorted(figures, key=lambda f: f.started, reverse=True)])
st.dataframe(
    table,
    hide_index=True,
    column_order=[
        "run_id",
        "started",
        "successful_fixes",
        "hours_saved",
        "money_saved",
        "acus",
        "agent_cost",
        "net_savings",
        "roi_multiple",
        "reviewed",
        "acceptance_rate",
    ],
    column_config={
        "run_id": "Run",
        "started": c.datetime_column("Started"),
        "successful_fixes": st.column_config.NumberColumn("Fixes", format="%d"),
        "hours_saved": st.column_config.NumberColumn("Hours saved", format="%.1f"),
        "money_saved": st.column_config.NumberColumn("Money saved", format="dollar"),
        "acus": st.column_config.NumberColumn("ACUs (estimated)", format="%.1f"),
        "agent_cost": st.column_config.NumberColumn("Agent cost (estimated)", format="dollar"),
        "net_savings": st.column_config.NumberColumn("Net savings", format="dollar"),
        "roi_multiple": st.column_config.NumberColumn("ROI", format="%.1f×"),
        "reviewed": st.column_config.NumberColumn("Reviewed", format="%d"),
        "acceptance_rate": c.rate_column("Accepted", "Approved out of reviewed."),
    },
)

cost_breakdown_section(cost, damaged_states)
