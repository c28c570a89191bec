"""Audit: who launched, stopped, resumed and reviewed what, newest first. Admins only."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from engine.access.audit import read_audit
from engine.access.roles import Action
from engine.analytics.exports import csv_export
from ui import components as c
from ui import context

ctx = context.current()
c.page_header("Audit", ":material/policy:", "Every launch, stop, resume and review decision, newest first.")
if not context.allowed(Action.read_audit):  # the page is only offered to admins; check anyway
    st.error("Only admins can read the audit log.", icon=":material/block:")
    st.stop()

entries = read_audit(ctx.runs_dir)
if not entries:
    st.info(
        "Nothing recorded yet. Launches, stops, resumes and reviews appear here.", icon=":material/inbox:"
    )
    st.stop()

table = pd.DataFrame(
    [
        {
            "ts": e.ts,
            "actor": e.actor,
            "role": e.role,
            "action": e.action,
            "target": e.target,
            "details": ", ".join(f"{k}={v}" for k, v in e.details.items()),
        }
        for e in reversed(entries)
    ]
)
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    column_config={"ts": c.datetime_column("When"), "actor": "Who", "target": "Run"},
    key="audit_table",
)
st.download_button(
    "Download CSV",
    csv_export(table),
    file_name="patchwave-audit.csv",
    mime="text/csv",
    key="audit_download",
    icon=":material/download:",
)
