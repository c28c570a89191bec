"""Launch: upload findings, check them, preview the priority order and wave plan, launch a run."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from engine.analytics.preview import problems_table
from engine.control import DEMO_SPEED
from engine.ingest import IngestLimits
from engine.ingest.limits import byte_size
from ui import actions, context, loaders
from ui import components as c

SPEEDS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000]
REQUIRED = "finding_id, category, severity, title, service_name"

ctx = context.current()
settings = context.settings()
limits = IngestLimits.from_settings(settings)
c.page_header(
    "Launch a run",
    ":material/rocket_launch:",
    "Upload scanner findings as CSV. Patchwave checks every row, merges duplicates, scores each finding "
    "and plans the findings into waves of agent sessions.",
)

if not loaders.entries(ctx.runs_dir):
    st.info(
        "No runs yet — upload findings below, or start a demo run to see Patchwave at work.",
        icon=":material/waving_hand:",
    )

left, right = st.columns([2, 1], gap="large")
with right, st.container(border=True):
    st.markdown("**No file at hand?**")
    st.caption(
        "Start a demo run: the 24 bundled sample findings against the simulated Devin API at "
        f"{DEMO_SPEED:g}× speed, with a fixed seed so it plays the same every time."
    )
    c.demo_button("demo_launch_page", primary=False)
with left:
    upload = st.file_uploader(
        "Findings file (CSV)",
        type=["csv"],
        key=actions.UPLOAD_KEY,
        # The uploader counts whole megabytes; the exact byte limit is checked below.
        max_upload_size=max(1, math.ceil(limits.max_upload_bytes / (1024 * 1024))),
        help=f"Required columns: {REQUIRED}. Up to {byte_size(limits.max_upload_bytes)} and "
        f"{limits.max_rows_per_run:,} rows.",
    )
    st.caption(
        f"Required columns: `{REQUIRED}`. Header names and values may vary in case and spacing; "
        "rows that cannot be used are listed with their reason, never dropped silently."
    )
if upload is None:
    st.stop()
if upload.size > limits.max_upload_bytes:
    st.error(
        f"**This file cannot be used.** {c.md(upload.name)} is {c.md(byte_size(upload.size))}; "
        f"the limit is {c.md(byte_size(limits.max_upload_bytes))}.",
        icon=":material/block:",
    )
    st.stop()

# --- options -----------------------------------------------------------------------------------
st.subheader("Options", anchor=False)
cols = st.columns(4)
wave_size = int(
    cols[0].number_input(
        "Wave size", 1, 1000, settings.wave_size, key=actions.WAVE_SIZE_KEY, help="Findings per wave."
    )
)
cols[1].number_input(
    "Max parallel sessions",
    1,
    1000,
    settings.max_parallel_sessions,
    key=actions.MAX_PARALLEL_KEY,
    help="Agent sessions in flight at once.",
)
with cols[2]:
    if settings.api_key is not None:
        mode = st.radio(
            "Mode",
            ["simulated", "live"],
            horizontal=True,
            key=actions.MODE_KEY,
            format_func={"simulated": "Simulated", "live": "Live (Devin API)"}.get,
            help="Live creates real Devin sessions and pull requests.",
        )
    else:
        mode = "simulated"
        st.markdown("**Mode**")
        st.caption(
            "Simulated. Live mode needs a Devin API key (`DEVIN_API_KEY`); without one, runs use the "
            "built-in simulated Devin API, which serves the same endpoints."
        )
with cols[3]:
    if mode == "simulated":
        st.select_slider(
            "Demo speed",
            SPEEDS,
            value=int(DEMO_SPEED),
            key=actions.SPEED_KEY,
            format_func=lambda v: f"{v}×",
            help="The simulated clock runs this many times faster; durations are still shown in agent time.",
        )
    else:
        st.markdown("**Speed**")
        st.caption("Real time: live sessions run at the agent's own pace.")
with st.expander("Advanced", icon=":material/tune:"):
    st.number_input(
        "Simulator seed", 0, 2**31 - 1, 0, key=actions.SEED_KEY, help="The same seed plays the same run."
    )

# --- the engine's check of the file ----------------------------------------------------------
preview = loaders.ingest_preview(
    upload.file_id,
    upload.name,
    upload.getvalue(),
    loaders.weights_key(settings.service_weights),
    settings.default_service_weight,
    wave_size,
    limits,
)
if preview.error is not None:
    st.error(f"**This file cannot be used.** {c.md(preview.error)}", icon=":material/block:")
    st.stop()
report = preview.report
assert report is not None

st.subheader("Check", anchor=False)
cols = st.columns(5)
cols[0].metric("Rows read", f"{report.total_rows:,}", border=True, help=f"Encoding: {report.encoding}.")
cols[1].metric("Findings accepted", f"{report.accepted:,}", border=True, help="After merging duplicates.")
cols[2].metric("Rows rejected", f"{report.rejected_rows:,}", border=True)
cols[3].metric("Warnings", f"{len(report.warnings):,}", border=True)
cols[4].metric("Duplicates merged", f"{report.duplicates_merged:,}", border=True)
if report.ignored_columns:
    st.caption("Ignored columns: " + ", ".join(f"`{c.md(x)}`" for x in report.ignored_columns))

# --- launch ------------------------------------------------------------------------------------
runs = {e.run_id for e in loaders.entries(ctx.runs_dir)}
already = actions.launched_run(upload.file_id, runs)
with st.container(border=True):
    if report.accepted == 0:
        st.error(
            "No usable findings in this file: every row was rejected. See the reasons below.",
            icon=":material/block:",
        )
    elif already is not None:
        st.info(f"This upload was launched as run `{already}`.", icon=":material/info:")
        with st.container(horizontal=True):
            st.button(
                "Open run",
                key="launch_open",
                type="primary",
                icon=":material/arrow_forward:",
                on_click=context.go_to_run,
                args=(already,),
            )
            st.button(
                "Launch again as a new run",
                key="launch_again",
                icon=":material/add:",
                on_click=actions.new_launch_token,
                args=(upload.file_id,),
            )
    else:
        waves = len(preview.waves)
        plural = "s" if waves != 1 else ""
        st.markdown(
            f"Ready: **{report.accepted:,} findings** in **{waves} wave{plural}** of up to {wave_size}, "
            f"{mode}, as run `{actions.launch_token(upload.file_id)}`."
        )
        st.button(
            "Launch run",
            key="launch_run",
            type="primary",
            icon=":material/rocket_launch:",
            on_click=actions.launch_upload,
            args=(upload.file_id,),
        )
    error = st.session_state.get(actions.LAUNCH_ERROR_KEY)
    if error:
        st.error(c.md(error), icon=":material/report:")

# --- details -------------------------------------------------------------------------------
tabs = st.tabs(
    [
        f"Priority order ({report.accepted:,})",
        f"Wave plan ({len(preview.waves)})",
        f"Rejected rows ({report.rejected_rows:,})",
        f"Warnings ({len(report.warnings):,})",
        f"Merged duplicates ({report.duplicates_merged:,})",
    ]
)
with tabs[0]:
    findings = preview.findings.copy()
    findings["severity"] = findings["severity"].map(lambda s: f"{c.SEVERITY_ICONS.get(s, '')} {s}")
    st.dataframe(
        findings,
        hide_index=True,
        column_config={
            "rank": st.column_config.NumberColumn("Rank", width="small"),
            "finding_id": "Finding",
            "severity": "Severity",
            "category": "Category",
            "service": "Service",
            "score": st.column_config.ProgressColumn(
                "Score",
                min_value=0,
                max_value=100,
                format="%d",
                help="Severity + category + service weights.",
            ),
            "severity_weight": st.column_config.NumberColumn("Severity pts", width="small"),
            "category_weight": st.column_config.NumberColumn("Category pts", width="small"),
            "service_weight": st.column_config.NumberColumn("Service pts", width="small"),
            "title": st.column_config.TextColumn("Title", width="large"),
            "location": "Location",
            "merged": st.column_config.NumberColumn(
                "Merged rows", width="small", help="Duplicates folded in."
            ),
        },
    )
with tabs[1]:
    severity_of = dict(zip(preview.findings["finding_id"], preview.findings["severity"], strict=True))
    plan = pd.DataFrame(
        [
            {
                "wave": w.number,
                "findings": len(w.finding_ids),
                "mix": " · ".join(
                    f"{n} {s}"
                    for s in ("critical", "high", "medium", "low")
                    if (n := sum(1 for f in w.finding_ids if severity_of.get(f) == s))
                ),
                "finding_ids": w.finding_ids,
            }
            for w in preview.waves
        ]
    )
    st.caption("Waves run in order; each must reach the success gate before the next starts.")
    st.dataframe(
        plan,
        hide_index=True,
        column_config={
            "wave": st.column_config.NumberColumn("Wave", width="small"),
            "findings": st.column_config.NumberColumn("Findings", width="small"),
            "mix": "Severity mix",
            "finding_ids": st.column_config.ListColumn("Findings in priority order", width="large"),
        },
    )
with tabs[2]:
    if report.rejected:
        st.dataframe(problems_table(report.rejected), hide_index=True, column_config={"row": "Row"})
        st.caption("Row numbers are spreadsheet rows: the header is row 1.")
    else:
        st.caption("No rows rejected.")
with tabs[3]:
    if report.warnings:
        st.dataframe(problems_table(report.warnings), hide_index=True, column_config={"row": "Row"})
    else:
        st.caption("No warnings.")
with tabs[4]:
    if report.merged_groups:
        st.dataframe(
            pd.DataFrame([g.model_dump() for g in report.merged_groups]),
            hide_index=True,
            column_config={
                "survivor_id": "Kept finding",
                "merged_ids": st.column_config.ListColumn("Merged into it"),
                "key": "Shared location",
            },
        )
    else:
        st.caption("No duplicates.")
