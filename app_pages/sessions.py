"""Sessions: every agent session of the selected run, and one session in detail."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from engine.analytics import formatting as fmt
from engine.analytics.exports import csv_export
from engine.analytics.memory import session_lessons
from engine.analytics.tables import SessionDetail, session_detail, sessions_table
from engine.core.agent_overrides import overrides_for
from engine.core.data_sources import session_source
from ui import components as c
from ui import context, loaders, memory_panels, service_overrides, supervision

SESSION_COLORS = {
    "success": "green",
    "failed": "red",
    "timeout": "red",
    "working": "blue",
    "dispatched": "blue",
    "blocked": "orange",
}
COLUMNS = [
    "finding_id",
    "attempt",
    "service",
    "status",
    "started",
    "duration_s",
    "acu_limit",
    "acus",
    "acus_basis",
    "cost",
    "pull_request_url",
    "session_url",
    "data_source",
]

view = c.require_run()
ctx = context.current()
hybrid = view.state.config.hybrid
# At 1440 px every shown column fits (the grid's own parts leave about 875 px for the columns):
# the ACU cap is in the session's detail and the CSV. The data source is shown only where it
# varies (a hybrid run), in the room of the duration, which the detail and the CSV keep too.
HIDDEN = {"acu_limit", "duration_s"} if hybrid else {"acu_limit", "data_source"}
SHOWN = [col for col in COLUMNS if col not in HIDDEN]
c.page_header("Sessions", ":material/smart_toy:")
c.run_caption(view)

now = datetime.now(UTC)
settings = context.settings()
table = sessions_table(view.state, now, settings.price_per_acu, settings.minutes_per_acu)
if table.empty:
    st.info("No sessions yet: the engine dispatches the first wave's sessions shortly after a run starts.")
    st.stop()

keys = [(r["finding_id"], int(r["attempt"])) for r in table.to_dict("records")]
pick_key = f"session_pick::{view.run_id}"
table_key = f"session_table::{view.run_id}"


def pick_row() -> None:
    """A click on a row opens that session below (`keys`: the rows as drawn)."""
    rows = st.session_state[table_key].selection.rows
    if rows and rows[0] < len(keys):
        st.session_state[pick_key] = keys[rows[0]]


linked = c.http_links(table, ["pull_request_url", "session_url"])
with st.container(horizontal=True, vertical_alignment="center"):
    st.caption("Click a row to see that session in detail below.")
    st.download_button(
        "Download CSV",
        csv_export(linked[COLUMNS]),
        file_name=f"{view.run_id}-sessions.csv",
        mime="text/csv",
        key="sessions_download",
        icon=":material/download:",
        on_click="ignore",
        help="Every session in the table (durations in seconds of agent time). "
        "Spreadsheet formulas in the text are neutralised.",
    )
st.caption(
    f"ACUs as the API reported them; where it reports none they are estimated from agent time "
    f"(one ACU per {settings.minutes_per_acu:g} agent minutes, at most the session's ACU cap) and "
    f"marked **estimated**. Cost: ACUs × \\${settings.price_per_acu:,.2f} (setting `price_per_acu`)."
)
st.dataframe(
    c.minutes(linked, "duration_s"),
    hide_index=True,
    key=table_key,
    on_select=pick_row,
    selection_mode="single-row",
    column_order=SHOWN,
    column_config={
        "finding_id": st.column_config.TextColumn("Finding", width=150),
        "attempt": st.column_config.NumberColumn("Attempt", width=60),
        "data_source": st.column_config.TextColumn(
            "Source", width=60, help="Live: the Devin API; simulated: the built-in simulator (a hybrid run)."
        ),
        "service": st.column_config.TextColumn("Service", width=90),
        "status": st.column_config.TextColumn("Status", width=85),
        "started": c.datetime_column("Started", "When the API created the session.", width=110, short=True),
        "duration_s": c.duration_column("Duration", width=80),
        "acus": st.column_config.NumberColumn("ACUs", format="%.2f", width=55),
        "acus_basis": st.column_config.TextColumn(
            "ACU figure",
            width=75,
            help="Reported: by the API; estimated: from agent time (the API reported none).",
        ),
        "cost": st.column_config.NumberColumn("Cost", format="dollar", width=55),
        "pull_request_url": c.link_column("PR", "Open", width=55),
        "session_url": c.link_column("Session", "Open", width=60),
    },
)


def label(key: tuple[str, int]) -> str:
    row = by_key[key]
    return f"{key[0]} · attempt {key[1]} · {row['status']}"


by_key = {(r["finding_id"], int(r["attempt"])): r for r in table.to_dict("records")}
st.subheader("Session detail", anchor=False)
chosen = st.selectbox(
    "Session",
    list(by_key),
    format_func=label,
    key=pick_key,
    help="Newest first.",
)
run_events = loaders.events(ctx.runs_dir, view.run_id)
detail = session_detail(
    view.state,
    run_events,
    chosen[0],
    chosen[1],
    now,
    settings.price_per_acu,
    settings.minutes_per_acu,
)


def status_card(d: SessionDetail) -> None:
    s = d.session
    with st.container(border=True):
        st.markdown(f"**{c.md(d.finding.title)}**")
        with st.container(horizontal=True, gap="small"):
            st.badge(s.status.value, color=SESSION_COLORS.get(s.status.value, "gray"))  # type: ignore[arg-type]
            st.badge(d.finding.severity.value, color=c.SEVERITY_COLORS[d.finding.severity.value])  # type: ignore[arg-type]
            c.badge(d.finding.category.value, "gray")
            c.badge(d.finding.service_name, "blue")
            if hybrid:
                c.source_badge(session_source(view.state, s))
        completed = c.when(d.completed_at) if d.completed_at else "still working"
        st.markdown(
            f"**Created** {c.when(d.created_at)}  \n**Completed** {completed}  \n"
            f"**Duration** {fmt.duration(d.duration_s)} of agent time",
            help=c.AGENT_TIME_HELP,
        )
        usage_caption(d)
        with st.container(horizontal=True, gap="small"):
            if c.is_http(s.url):
                st.link_button("Open session", s.url, icon=":material/open_in_new:")
            if c.is_http(s.pull_request_url):
                st.link_button("Open pull request", s.pull_request_url, icon=":material/merge:")
        if s.error:
            st.error(f"Error: {c.md(s.error)}")


def usage_caption(d: SessionDetail) -> None:
    s = d.session
    estimated = " (estimated: the API reported none)" if d.acus_basis == "estimated" else ""
    rule = c.md(s.acu_limit_rule or "rule not recorded")
    cap = f" of its {s.acu_limit} ACU cap ({rule})" if s.acu_limit else ""
    st.markdown(f"**ACUs** {d.acus:.2f}{estimated}{cap}  \n**Cost** \\${d.cost:,.2f}")


def progress_card(d: SessionDetail) -> None:
    with st.container(border=True):
        st.markdown("**Agent progress**")
        pct = d.progress_pct
        st.progress(
            min(100, max(0, int(pct))) if pct is not None else 0,
            text=f"Current step: {c.md(d.current_step or '—')}",
        )
        cols = st.columns(3)
        passed = {True: "Passed", False: "Failed", None: fmt.DASH}[d.tests_passed]
        cols[0].metric("Tests", passed)
        cols[1].metric("Tests added", d.tests_added if d.tests_added is not None else fmt.DASH)
        cols[2].metric("Confidence", fmt.percent(d.confidence), help="The agent's own confidence in its fix.")
        st.markdown("**Fix approach**")
        st.text(d.fix_approach or "Not reported yet.")
        st.markdown("**Files modified**")
        if d.files_modified:
            st.dataframe(pd.DataFrame({"file": d.files_modified}), hide_index=True)
        else:
            st.caption("None reported yet.")


if detail is None:
    st.warning("That session is no longer in the run.")
    st.stop()
left, right = st.columns(2, gap="medium")
with left:
    status_card(detail)
with right:
    progress_card(detail)
service_overrides.session_overrides(
    overrides_for(view.state.config.agent_overrides, detail.finding.service_name)
)
memory_panels.session_lessons(
    session_lessons(
        detail.session, run_events, memory_panels.book_or_empty(ctx.runs_dir, view.state.data_source)
    )
)
supervision.supervision_card(detail.supervision)
st.markdown("**Trace**")
if detail.events:
    trace = pd.DataFrame([e.model_dump() for e in detail.events])
    st.dataframe(
        trace[["ts", "kind", "message"]].assign(kind=trace["kind"].map(fmt.label)),
        hide_index=True,
        row_height=c.WRAPPED_ROW_HEIGHT,
        column_config={
            "ts": c.datetime_column("When"),
            "kind": st.column_config.TextColumn("Event", width=170),
            "message": st.column_config.TextColumn("Message", width=600),
        },
    )
else:
    st.caption("No engine events for this session yet.")
