"""The Launch page's priority table: the run's order with the one priority score's parts."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import components as c

_COMMON = {
    "rank": st.column_config.NumberColumn("Rank", width="small"),
    "finding_id": "Finding",
    "severity": "Severity",
    "category": "Category",
    "service": "Service",
    "title": st.column_config.TextColumn("Title", width="large"),
    "location": "Location",
    "merged": st.column_config.NumberColumn("Merged", width="small", help="Duplicates folded in."),
}


def _with_icons(findings: pd.DataFrame) -> pd.DataFrame:
    shown = findings.copy()
    shown["severity"] = shown["severity"].map(lambda s: f"{c.SEVERITY_ICONS.get(s, '')} {s}")
    return shown


def priority_order(findings: pd.DataFrame, ledger: bool) -> None:
    st.caption(
        "Ordered by priority: service importance (35 %, from the services file), severity (30 %), SLA "
        "urgency (15 %), the category's fix rate so far (10 %), recurrence (10 %), plus a boost for "
        "active objectives."
        + (
            ""
            if ledger
            else " Without the findings ledger there is no history: SLA, fix rate, recurrence and "
            "objectives count the same for every finding."
        )
    )
    points = {"format": "%.1f", "width": "small"}
    st.dataframe(
        _with_icons(findings),
        hide_index=True,
        column_config={
            **_COMMON,
            "score": st.column_config.ProgressColumn(
                "Score", min_value=0, max_value=110, format="%.1f", help="The sum of the parts to its right."
            ),
            "service_importance": st.column_config.NumberColumn("Service", help="Up to 35 points.", **points),
            "severity_points": st.column_config.NumberColumn(
                "Severity pts", help="Up to 30 points.", **points
            ),
            "sla_urgency": st.column_config.NumberColumn(
                "SLA", help="Up to 15: share of the SLA used.", **points
            ),
            "fix_rate": st.column_config.NumberColumn(
                "Fix rate", help="Up to 10: the category's success so far.", **points
            ),
            "recurrence": st.column_config.NumberColumn(
                "Recurrence", help="Up to 10: seen again, or a fix that did not hold.", **points
            ),
            "objective_boost": st.column_config.NumberColumn(
                "Objectives", help="+10 per active objective it serves.", **points
            ),
            "score_parts": st.column_config.TextColumn("Score parts", help="The score's parts in words."),
        },
    )
