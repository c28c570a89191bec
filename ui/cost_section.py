"""The ROI page's cost breakdown: ACUs and cost over every session of every run, per accepted
fix, per category and per service (engine.analytics.cost), estimated figures marked."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from engine.analytics import formatting as fmt
from engine.analytics.cost import CostBreakdown, cost_table
from ui.markup import md

CATEGORY_KEY = "roi_cost_by_category"
SERVICE_KEY = "roi_cost_by_service"


def _columns(what: str) -> dict[str, object]:
    return {
        "key": st.column_config.TextColumn(what, width=180),
        "sessions": st.column_config.NumberColumn("Sessions", format="%d", width=80),
        "acus": st.column_config.NumberColumn("ACUs", format="%.1f", width=70),
        "estimated_acus": st.column_config.NumberColumn(
            "Of which estimated",
            format="%.1f",
            width=130,
            help="ACUs estimated from agent time: the API reported none.",
        ),
        "cost": st.column_config.NumberColumn("Cost", format="dollar", width=80),
        "accepted_fixes": st.column_config.NumberColumn(
            "Accepted fixes",
            format="%d",
            width=105,
            help="Pull requests a reviewer approved.",
        ),
        "acus_per_accepted_fix": st.column_config.NumberColumn("ACUs per fix", format="%.1f", width=100),
        "cost_per_accepted_fix": st.column_config.NumberColumn(
            "Cost per fix",
            format="dollar",
            width=100,
            help="All spent (failed attempts included) ÷ accepted fixes.",
        ),
    }


def _groups(table: pd.DataFrame, what: str, key: str) -> None:
    st.dataframe(table, hide_index=True, key=key, column_config=_columns(what))  # type: ignore[arg-type]


def cost_breakdown_section(cost: CostBreakdown, damaged: list[str], tag: str = "") -> None:
    """`tag` follows every figure's label, e.g. ` (simulated)` when the runs are simulated."""
    st.subheader("Cost breakdown", anchor=False)
    for damage in damaged:
        st.warning(f"{md(damage)} That run's sessions are left out here.", icon=":material/broken_image:")
    t = cost.total
    estimated = t.estimated
    cols = st.columns(4)
    cols[0].metric(
        ("ACUs (part estimated)" if estimated else "ACUs") + tag,
        fmt.number(t.acus),
        border=True,
        help=f"{t.sessions} sessions; {fmt.number(t.estimated_acus)} ACUs estimated.",
    )
    cols[1].metric(("Cost (part estimated)" if estimated else "Cost") + tag, fmt.money(t.cost), border=True)
    cols[2].metric("Sessions" + tag, f"{t.sessions:,}", border=True, help="Every attempt, retries included.")
    cols[3].metric(
        "Cost per accepted fix" + tag,
        fmt.DASH if t.cost_per_accepted_fix is None else f"${t.cost_per_accepted_fix:,.2f}",
        border=True,
        help=f"All spent, failed attempts and retries included, ÷ {t.accepted_fixes:,} accepted fixes.",
    )
    basis = (
        f"**{fmt.number(t.estimated_acus)} of the ACUs are estimated**: the API reported no usage for those "
        f"sessions, so they count one ACU per {cost.minutes_per_acu:g} agent minutes, at most each session's "
        "ACU cap."
        if estimated
        else "Every ACU figure is the usage the API reported."
    )
    st.caption(
        f"Over every session of every run. Cost is ACUs × \\${cost.price_per_acu:,.2f}. An accepted fix is "
        f"a pull request a reviewer approved; awaiting review or rejected ones are no fix. {basis}"
    )
    # One above the other, full width: side by side, their columns do not fit at 1440 px.
    st.markdown("**Per category**")
    by_category = cost_table(cost.by_category)
    by_category["key"] = by_category["key"].map(fmt.category_label)
    _groups(by_category, "Category", CATEGORY_KEY)
    st.markdown("**Per service**")
    _groups(cost_table(cost.by_service), "Service", SERVICE_KEY)
