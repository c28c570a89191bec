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
from engine.analytics.roi_report import data_notes, time_range
from ui import charts, context, loaders
from ui import components as c
from ui.cost_section import cost_breakdown_section

ctx = context.current()
c.page_header(
    "Return on investment",
    ":material/savings:",
    "Every run in the runs folder. Savings count accepted fixes only (pull requests approved); "
    "agent cost is the ACUs the sessions reported, at the price below (estimated from agent time for "
    "runs whose sessions reported none).",
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

for kind, note in data_notes(total):  # what a reader must know before trusting the figures
    if kind == "simulated":
        st.info(f"**{c.md(note)}**", icon=":material/science:")
    else:
        st.warning(c.md(note), icon=":material/monitoring:")
tag = " (simulated)" if total.simulated else ""  # every figure on simulated data says so
cost_tag = " (estimated)" if total.acus_estimated else ""
# Two rows of three: each label keeps its "(simulated)" in full at 1440 px.
cols = [*st.columns(3), *st.columns(3)]
cols[0].metric(
    f"Accepted fixes{tag}",
    f"{total.successful_fixes:,}",
    border=True,
    help="Findings whose pull request a reviewer approved. Rejected ones count for nothing.",
)
cols[1].metric(
    f"Hours saved{tag}",
    fmt.number(total.hours_saved),
    border=True,
    help=f"{total.successful_fixes} accepted fixes × the hours per fix.",
)
cols[2].metric(f"Money saved{tag}", fmt.money(total.money_saved), border=True)
cols[3].metric(
    f"Agent cost{tag}{cost_tag}",
    fmt.money(total.agent_cost),
    border=True,
    help=f"{fmt.number(total.acus)} ACUs at the price per ACU.",
)
cols[4].metric(f"Net savings{tag}", fmt.money(total.net_savings), border=True)
cols[5].metric(
    f"ROI multiple{tag}", fmt.multiple(total.roi_multiple), border=True, help="Money saved ÷ agent cost."
)
st.caption(
    f"Potential{c.md(tag)}: **{total.awaiting_review:,}** pull requests awaiting review would save "
    f"{c.md(fmt.money(total.potential_money_saved))} more if accepted (not counted above). "
    f"Acceptance rate{c.md(tag)}: {c.md(fmt.percent(total.acceptance_rate))} "
    f"({total.approved:,} of {total.reviewed:,} reviewed pull requests approved). "
    f"{c.md(time_range(total))}."
)

generated = datetime.now(UTC)
states, damaged_states = loaders.states_of(ctx.runs_dir, runs)
cost = runs_cost(states, generated, assumptions.price_per_acu, assumptions.minutes_per_acu, reviews)
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
table = pd.DataFrame(
    [
        {**f.model_dump(), "data_source": "simulated" if f.simulated else "live"}
        for f in sorted(figures, key=lambda f: f.started, reverse=True)
    ]
)
st.dataframe(
    table,
    hide_index=True,
    # Every column fits at 1440 px; a run's start is in its id, the reviewed count in the caption,
    # the ACUs in the cost breakdown below.
    column_order=[
        "run_id",
        "data_source",
        "successful_fixes",
        "awaiting_review",
        "hours_saved",
        "money_saved",
        "agent_cost",
        "net_savings",
        "roi_multiple",
        "acceptance_rate",
    ],
    column_config={
        "run_id": st.column_config.TextColumn("Run", width=190),
        "data_source": st.column_config.TextColumn("Data", width=80),
        "successful_fixes": st.column_config.NumberColumn(
            "Accepted fixes", format="%d", width=105, help="Pull requests approved or merged."
        ),
        "awaiting_review": st.column_config.NumberColumn(
            "Awaiting review", format="%d", width=110, help="Potential: not counted in the savings."
        ),
        "hours_saved": st.column_config.NumberColumn("Hours", format="%.1f", width=55, help="Hours saved."),
        "money_saved": st.column_config.NumberColumn("Saved", format="dollar", width=80, help="Money saved."),
        "acus": st.column_config.NumberColumn("ACUs", format="%.1f", width=55),
        "agent_cost": st.column_config.NumberColumn("Cost", format="dollar", width=75, help="Agent cost."),
        "net_savings": st.column_config.NumberColumn("Net", format="dollar", width=80, help="Net savings."),
        "roi_multiple": st.column_config.NumberColumn("ROI", format="%.1f×", width=55),
        "acceptance_rate": c.rate_column("Accept rate", "Approved out of reviewed.", width=90),
    },
)

cost_breakdown_section(cost, damaged_states, tag)
