"""Ledger: every finding Patchwave has seen across scans and runs, per data source: lifecycle
state, SLA, objective progress, the full history of one finding, and its triage."""

from __future__ import annotations

import streamlit as st

from engine.analytics.ledger_view import ledger_overview, ledger_rows, ledger_table
from engine.core.errors import BadInputError
from engine.core.models import utcnow
from ui import components as c
from ui import context, ledger_detail, ledger_tools, loaders
from ui import ledger_panels as panels

ctx = context.current()
settings = context.settings()
c.page_header(
    "Findings ledger",
    ":material/inventory_2:",
    "Every finding across scans and runs: where it was seen, what the agents did about it, its SLA "
    "and the decisions people made.",
)

with st.container(horizontal=True, vertical_alignment="bottom"):
    source = panels.source_switch(settings)
other = "simulated" if source == "live" else "live"
try:
    ledger = loaders.ledger(ctx.runs_dir, source)
except BadInputError as exc:
    st.error(f"The {source} ledger could not be read: {c.md(exc)}", icon=":material/error:")
    st.stop()
try:
    policy = loaders.policy(settings)
    loaders.services(settings)  # a broken services file is named here too
except BadInputError as exc:
    st.error(
        f"The policy or services file could not be read, so SLAs and objectives cannot be shown: {c.md(exc)}",
        icon=":material/error:",
    )
    st.stop()

if not ledger.entries:
    try:
        other_count = len(loaders.ledger(ctx.runs_dir, other).entries)
    except BadInputError:
        other_count = 0
    panels.empty_state(source, other, other_count)
    ledger_tools.import_expander(source, settings)
    st.stop()

now = utcnow()
overview = ledger_overview(ledger, policy, now)
panels.headline(overview)
with st.container(horizontal=True):
    ledger_tools.sync_button(source, ledger, settings)
ledger_tools.sync_results(source, ledger)
ledger_tools.import_expander(source, settings)

left, right = st.columns(2, gap="large")
with left:
    panels.sla_panel(overview)
with right:
    panels.objectives_panel(overview)

st.subheader("Findings", anchor=False)
table = ledger_table(ledger_rows(ledger, policy, now))
shown = panels.filters(table)
panels.findings_table(shown, len(table))

st.subheader("Finding detail", anchor=False)
if shown.empty:
    st.caption("No finding matches the filters.")
    st.stop()
titles = dict(zip(shown["fingerprint"], shown["title"], strict=True))
fingerprint = st.selectbox(
    "Finding",
    list(titles),
    key=panels.DETAIL_KEY,
    format_func=lambda fp: f"{titles[fp][:80]} · {fp[:12]}",
    help="Or select a row in the table.",
)
if fingerprint is not None:
    row = shown.loc[shown["fingerprint"] == fingerprint].iloc[0]
    ledger_detail.show(ledger.entries[fingerprint], row, source)
