"""Eval: how well the agent does per finding category in the selected run."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from engine.analytics import formatting as fmt
from engine.analytics.evaluation import (
    HEALTHY_AT,
    MIN_DECIDED,
    WARNING_AT,
    category_health,
    critical_categories,
)
from ui import components as c

BANDS = {
    "healthy": "🟢 healthy",
    "warning": "🟠 warning",
    "critical": "🔴 critical",
    "insufficient data": "⚪ insufficient data",
}

view = c.require_run()
c.page_header("Evaluation by category", ":material/fact_check:")
c.run_caption(view)
st.caption(
    f"Bands: **healthy** at {HEALTHY_AT:.0%} success or more · **warning** from {WARNING_AT:.0%} · "
    f"**critical** below {WARNING_AT:.0%} · **insufficient data** with fewer than {MIN_DECIDED} decided "
    "findings. Durations are agent time."
)

rows = category_health(view.state, datetime.now(UTC))
critical = critical_categories(rows)
if critical:
    st.error(
        f"**{len(critical)} critical {'category' if len(critical) == 1 else 'categories'}:** "
        f"{', '.join(c.md(fmt.category_label(x)) for x in critical)}. The agent fails most findings "
        "here — review the playbook or route these findings to engineers.",
        icon=":material/report:",
    )
if not rows:
    st.info("No findings in this run.")
    st.stop()

table = pd.DataFrame([r.model_dump() for r in rows])
table["band"] = table["band"].map(BANDS)
table["category"] = table["category"].map(fmt.category_label)
table["mean_duration_s"] = table["mean_duration_s"] / 60.0
st.dataframe(
    table,
    hide_index=True,
    column_order=[
        "band",
        "category",
        "findings",
        "passed",
        "failed",
        "success_rate",
        "mean_duration_s",
        "retries",
        "mean_confidence",
    ],
    column_config={
        "band": "Band",
        "category": "Category",
        "findings": st.column_config.NumberColumn("Findings", format="%d"),
        "passed": st.column_config.NumberColumn("Passed", format="%d", help="Findings fixed."),
        "failed": st.column_config.NumberColumn(
            "Failed", format="%d", help="Findings failed with no attempts left."
        ),
        "success_rate": c.rate_column("Success rate", "Passed out of passed + failed."),
        "mean_duration_s": c.duration_column("Mean duration"),  # its help says it is agent time
        "retries": st.column_config.NumberColumn(
            "Retries", format="%d", help="Sessions beyond each finding's first attempt."
        ),
        "mean_confidence": c.rate_column(
            "Mean confidence", "The agent's own confidence, over finished sessions."
        ),
    },
)
