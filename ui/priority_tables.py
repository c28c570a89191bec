"""The Launch page's priority table: the run's order, then the one priority score's parts in a
table of their own (together they are too wide for one table at 1440 px)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from engine.analytics import formatting as fmt
from ui import components as c

ORDER_COLUMNS = {
    "rank": st.column_config.NumberColumn("Rank", width=50, help="1 = most urgent."),
    "finding_id": st.column_config.TextColumn("Finding", width=150),
    "severity": st.column_config.TextColumn("Severity", width=85),
    "category": st.column_config.TextColumn("Category", width=125),
    "service": st.column_config.TextColumn("Service", width=95),
    "score": st.column_config.ProgressColumn(
        "Score", min_value=0, max_value=110, format="%.1f", width=85, help="Its parts are in the table below."
    ),
    "title": st.column_config.TextColumn("Title", width=190),
    "location": st.column_config.TextColumn("Location", width=120),
    "merged": st.column_config.NumberColumn("Merged", width=60, help="Duplicates folded in."),
}
_POINTS = {"format": "%.1f", "width": 80}
PART_COLUMNS = {
    "finding_id": st.column_config.TextColumn("Finding", width=150),
    "score": st.column_config.NumberColumn("Score", format="%.1f", width=65),
    "service_importance": st.column_config.NumberColumn("Service", help="Up to 35 points.", **_POINTS),
    "severity_points": st.column_config.NumberColumn("Severity", help="Up to 30 points.", **_POINTS),
    "sla_urgency": st.column_config.NumberColumn("SLA", help="Up to 15: share of the SLA used.", **_POINTS),
    "fix_rate": st.column_config.NumberColumn(
        "Fix rate", help="Up to 10: the category's success so far.", **_POINTS
    ),
    "recurrence": st.column_config.NumberColumn(
        "Recurrence", help="Up to 10: seen again, or a fix that did not hold.", **_POINTS
    ),
    "objective_boost": st.column_config.NumberColumn(
        "Objectives", help="+10 per active objective it serves.", **_POINTS
    ),
    "score_parts": st.column_config.TextColumn("In words", width=230),
}


def _shown(findings: pd.DataFrame) -> pd.DataFrame:
    shown = findings.copy()
    shown["severity"] = shown["severity"].map(lambda s: f"{c.SEVERITY_ICONS.get(s, '')} {s}")
    shown["category"] = shown["category"].map(fmt.category_label)
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
    shown = _shown(findings)
    st.dataframe(
        shown,
        hide_index=True,
        key="launch_priority_order",
        column_order=[col for col in ORDER_COLUMNS if col in shown.columns],
        column_config=ORDER_COLUMNS,  # type: ignore[arg-type]
    )
    with st.expander("Score parts", icon=":material/functions:"):
        st.dataframe(
            shown,
            hide_index=True,
            key="launch_score_parts",
            row_height=c.WRAPPED_ROW_HEIGHT,
            column_order=[col for col in PART_COLUMNS if col in shown.columns],
            column_config=PART_COLUMNS,  # type: ignore[arg-type]
        )
