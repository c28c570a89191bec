"""Launch: upload findings (CSV or a scanner's output), check them, preview the plan against the
findings ledger (what runs in which order, what is skipped and why), launch a run."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from engine.access.roles import Action
from engine.analytics.preview import problems_table
from engine.core.agent_overrides import overrides_by_service
from engine.core.errors import BadInputError
from engine.core.sources import SourceDefaults
from engine.ingest import IngestLimits
from engine.ingest.limits import byte_size
from engine.launch.control import DEMO_SPEED
from engine.policy.service_agent import agent_overrides_of
from engine.settings.file import origins
from engine.settings.run_settings import RUN_SETTINGS, app_default, bounds, help_text
from ui import actions, connection, context, loaders, priority_tables, service_overrides
from ui import components as c
from ui.setting_inputs import setting_input

SPEEDS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000]
SIMULATOR_ONLY = ("seed", "sim_failure_rate", "sim_fault_rate", "sim_rate_limit", "sim_rate_burst")
REQUIRED = "finding_id, category, severity, title, service_name"
FORMATS = (
    "SARIF (CodeQL, Semgrep, Snyk Code, Trivy…), Semgrep, Trivy and Snyk JSON, "
    "GitHub Dependabot and code-scanning exports"
)

ctx = context.current()
settings = context.settings()
limits = IngestLimits.from_settings(settings)
c.page_header(
    "Launch a run",
    ":material/rocket_launch:",
    "Upload scanner findings: a CSV export or a scanner's own output. Patchwave checks every finding, "
    "merges duplicates, skips what the findings ledger says is already handled, scores the rest and "
    "plans them into waves of agent sessions.",
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
    if context.allowed(Action.launch):
        st.checkbox(
            "Pause at a wave gate",
            key=actions.DEMO_GATE_KEY,
            help="The demo's wave gate rises to 90 %: after wave 2 (8 of 10 fixed) the run pauses "
            "until you resume it.",
        )
with left:
    upload = st.file_uploader(
        "Findings file (CSV, SARIF or scanner JSON)",
        type=["csv", "json", "sarif"],
        key=actions.UPLOAD_KEY,
        # The uploader counts whole megabytes; the exact byte limit is checked below.
        max_upload_size=max(1, math.ceil(limits.max_upload_bytes / (1024 * 1024))),
        help=f"CSV required columns: {REQUIRED}. Scanner formats: {FORMATS}. Up to "
        f"{byte_size(limits.max_upload_bytes)} and {limits.max_rows_per_run:,} findings.",
    )
    st.caption(
        f"CSV needs the columns `{REQUIRED}`; scanner files ({FORMATS}) are recognised by their "
        "content. Anything that cannot be used is listed with its reason, never dropped silently."
    )
    source_cols = st.columns(2)
    source_cols[0].text_input(
        "Service",
        key=actions.SOURCE_SERVICE_KEY,
        placeholder="e.g. payment-service",
        help="For findings whose file does not name a service (most scanner output). "
        "Without it, the service is taken from the repository name when the file names one.",
    )
    source_cols[1].text_input(
        "Repository URL",
        key=actions.SOURCE_REPO_KEY,
        placeholder="https://github.com/acme/payment-service",
        help="For findings whose file does not name their repository.",
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
# Every run setting is offered here, each with the range and help text it is declared with
# (engine/settings/run_settings.py), starting from the value in effect (environment, `.env`, settings file).
st.subheader("Options", anchor=False)
where = origins()


def start_value(name: str) -> object:
    preset = app_default(name)
    return preset if preset is not None and where.get(name) == "default" else getattr(settings, name)


cols = st.columns(4)
wave_size = int(
    setting_input("wave_size", settings.wave_size, key=actions.launch_key("wave_size"), container=cols[0])
)
setting_input(
    "max_parallel_sessions",
    settings.max_parallel_sessions,
    key=actions.launch_key("max_parallel_sessions"),
    container=cols[1],
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
        speed = float(start_value("speed"))  # type: ignore[arg-type]
        low, high = bounds("speed").low, bounds("speed").high
        choices = sorted({*(v for v in SPEEDS if low <= v <= high), speed})  # type: ignore[operator]
        st.select_slider(
            "Demo speed",
            choices,
            value=speed,
            key=actions.SPEED_KEY,
            format_func=lambda v: f"{v:g}×",
            help=help_text("speed")
            + " The simulated clock runs this many times faster; durations are still shown in agent time.",
        )
    else:
        st.markdown("**Speed**")
        st.caption("Real time: live sessions run at the agent's own pace.")
use_ledger = st.toggle(
    "Plan against the findings ledger",
    value=True,
    key=actions.USE_LEDGER_KEY,
    help="Records this upload as a scan in the ledger, skips findings already in progress, with an open or "
    "merged pull request, fixed, triaged or cooling down after a failure, keeps the session budget, "
    "and orders the rest by priority across runs. Off: every finding runs, in its priority order.",
)
with st.expander("Advanced", icon=":material/tune:"):
    advanced = [n for n in RUN_SETTINGS if n not in ("wave_size", "max_parallel_sessions", "speed")]
    if mode == "live":  # the simulator's knobs do not apply to live sessions
        advanced = [n for n in advanced if n not in SIMULATOR_ONLY]
    grid = st.columns(3)
    for i, name in enumerate(advanced):
        setting_input(name, start_value(name), key=actions.launch_key(name), container=grid[i % 3])
max_acu = int(st.session_state.get(actions.launch_key("max_acu_per_session")) or settings.max_acu_per_session)
# Live mode launches only once the API (and the Git host, with PR sync) answered a check.
connection_ready = connection.connection_panel(settings) if mode == "live" else True

# --- the engine's check of the file ----------------------------------------------------------
preview = loaders.ingest_preview(
    upload.file_id,
    upload.name,
    upload.getvalue(),
    # The plan follows the form: its wave size and ACU cap (the ledger's ACU budget uses it).
    settings.model_copy(update={"wave_size": wave_size, "max_acu_per_session": max_acu}),
    use_ledger=use_ledger,
    data_source=mode,
    source=SourceDefaults(
        st.session_state.get(actions.SOURCE_SERVICE_KEY), st.session_state.get(actions.SOURCE_REPO_KEY)
    ),
)
if preview.error is not None:
    st.error(f"**This file cannot be used.** {c.md(preview.error)}", icon=":material/block:")
    st.stop()
report = preview.report
assert report is not None

st.subheader("Check", anchor=False)
unit = "Rows" if report.format == "csv" else "Results"
st.caption(
    f"Read as **{c.md(report.format_label)}**"
    + (f" from {c.md(', '.join(report.tools))}" if report.tools else "")
    + (
        f"; {report.suppressed:,} results are suppressed or dismissed in the file"
        if report.suppressed
        else ""
    )
    + (f"; {report.not_findings:,} results report no problem" if report.not_findings else "")
    + f"; text encoding {c.md(report.encoding)}."
)
if report.replaced_bytes:
    st.warning(
        f"Read as {c.md(report.encoding_summary)}: the rest of the file is UTF-8, so these bytes were "
        "not guessed at. Check those rows against the source (see *Warnings*).",
        icon=":material/warning:",
    )
cols = st.columns(6)
cols[0].metric(f"{unit} read", f"{report.total_rows:,}", border=True, help=f"Encoding: {report.encoding}.")
cols[1].metric("Findings accepted", f"{report.accepted:,}", border=True, help="After merging duplicates.")
cols[2].metric(f"{unit} rejected", f"{report.rejected_rows:,}", border=True)
cols[3].metric("Warnings", f"{len(report.warnings):,}", border=True)
cols[4].metric("Duplicates merged", f"{report.duplicates_merged:,}", border=True)
planned = len(preview.findings)
cols[5].metric(
    "To dispatch",
    f"{planned:,}",
    border=True,
    help="After the findings ledger's skips." if preview.ledger else "Every accepted finding.",
)
if preview.connected_findings is not None:  # a hybrid launch: say which findings go live
    live_share = preview.connected_findings
    st.info(
        f"**Hybrid run.** {live_share:,} of {planned:,} findings are in a connected repository "
        f"(`CONNECTED_REPOS`: {c.md(', '.join(settings.connected_repos))}) and go to the Devin API; "
        f"the other {planned - live_share:,} go to the built-in simulator. Each session is labelled "
        "with its data source, and simulated ones never reach the findings ledger or the lessons.",
        icon=":material/call_split:",
    )
if preview.held_back:  # prominent: what the plan holds back, why, and what changes it
    held = sum(g.count for g in preview.held_back)
    lines = "\n".join(
        f"- **{g.count:,}** — {c.md(g.label)}. *To change:* {c.md(g.advice)}." for g in preview.held_back
    )
    st.warning(
        f"**{held:,} of {report.accepted:,} findings held back** by the findings ledger ({c.md(mode)} "
        f"budget and history); they are recorded, not lost.\n\n{lines}",
        icon=":material/pause_circle:",
    )
if preview.ledger and preview.ledger_already:
    st.caption(f"Findings ledger ({mode}): this exact file is already recorded; launching adds no sightings.")
elif preview.ledger and preview.ledger_counts:
    counts = preview.ledger_counts
    st.caption(
        f"Findings ledger ({mode}): this upload holds {counts['new']:,} new, {counts['unchanged']:,} known, "
        f"{counts['recurring'] + counts['regressed']:,} returning findings; launching records it "
        f"and verifies {counts['verified_fixed']:,} merged fix(es) that no longer appear."
    )
if report.ignored_columns:
    st.caption("Ignored columns: " + ", ".join(c.code(x) for x in report.ignored_columns))

# --- launch ------------------------------------------------------------------------------------
runs = {e.run_id for e in loaders.entries(ctx.runs_dir)}
already = actions.launched_run(upload.file_id, runs)
with st.container(border=True):
    if report.accepted == 0:
        st.error(
            "No usable findings in this file: every row was rejected. See the reasons below.",
            icon=":material/block:",
        )
    elif planned == 0:
        st.warning(
            "Nothing new to dispatch: the findings ledger holds back every finding of this file (why, "
            "and what to do, above). That is not an error; turn the ledger off to run them anyway.",
            icon=":material/block:",
        )
    elif already is not None:
        st.info(f"This upload was launched as run {c.code(already)}.", icon=":material/info:")
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
            f"Ready: **{planned:,} findings** in **{waves} wave{plural}** of up to {wave_size}, "
            f"{mode}, as run {c.code(actions.launch_token(upload.file_id))}."
        )
        st.button(
            "Launch run",
            key="launch_run",
            type="primary",
            icon=":material/rocket_launch:",
            on_click=actions.launch_upload,
            args=(upload.file_id,),
            disabled=not connection_ready,
            help=None if connection_ready else "Check the live connection above first; a problem stands.",
        )
    error = st.session_state.get(actions.LAUNCH_ERROR_KEY)
    if error:
        st.error(c.md(error), icon=":material/report:")

# --- details -------------------------------------------------------------------------------
skipped = preview.skipped if preview.skipped is not None else pd.DataFrame()
suppressed = preview.suppressed if preview.suppressed is not None else pd.DataFrame()
try:
    overrides = agent_overrides_of(loaders.services(settings))
    overrides_error = None
except BadInputError as exc:  # launching refuses it too, naming the same problem
    overrides, overrides_error = {}, str(exc)
planned_services = list(preview.findings["service"]) if "service" in preview.findings else []
overridden = len(overrides_by_service(overrides, planned_services))
tabs = st.tabs(
    [
        f"Priority order ({planned:,})",
        f"Wave plan ({len(preview.waves)})",
        f"Skipped ({len(skipped):,})",
        f"Rejected {unit.lower()} ({report.rejected_rows:,})",
        f"Warnings ({len(report.warnings):,})",
        f"Merged duplicates ({report.duplicates_merged:,})",
        f"Suppressed ({report.suppressed:,})",
        f"Service overrides ({overridden})",
    ]
)
with tabs[7]:
    if overrides_error is not None:
        st.error(f"The services file could not be read: {c.md(overrides_error)}", icon=":material/error:")
    else:
        service_overrides.plan_overrides(overrides, planned_services)
with tabs[0]:
    priority_tables.priority_order(preview.findings, preview.ledger)
with tabs[2]:
    if skipped.empty:
        st.caption(
            "The ledger skips nothing." if preview.ledger else "The findings ledger is off: nothing skipped."
        )
    else:
        st.caption("Findings the ledger keeps out of this run, and why. They are recorded, not lost.")
        st.dataframe(
            skipped,
            hide_index=True,
            column_config={
                "finding_id": "Finding",
                "reason": "Skipped because",
                "detail": st.column_config.TextColumn("Detail", width="large"),
                "severity": "Severity",
                "title": "Title",
                "location": "Location",
            },
        )
with tabs[6]:
    if suppressed.empty:
        st.caption("No results are suppressed in the file.")
    else:
        st.caption(
            "The scanner or a person marked these as not to be fixed (suppressed, dismissed or already "
            "fixed). They are counted here and never dispatched."
            + (
                f" The first {len(suppressed):,} of {report.suppressed:,} are listed."
                if len(suppressed) < report.suppressed
                else ""
            )
        )
        st.dataframe(suppressed, hide_index=True)
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
with tabs[3]:
    if report.rejected:
        st.dataframe(problems_table(report.rejected), hide_index=True, column_config={"row": "Row"})
        st.caption("Row numbers are spreadsheet rows: the header is row 1.")
    else:
        st.caption("No rows rejected.")
with tabs[4]:
    if report.warnings:
        st.dataframe(problems_table(report.warnings), hide_index=True, column_config={"row": "Row"})
    else:
        st.caption("No warnings.")
with tabs[5]:
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
