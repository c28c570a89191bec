"""Overview: the selected run live. Refreshes itself every few seconds while the run is active
and stops refreshing when it ends."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import streamlit as st

from engine.access.roles import Action
from engine.analytics import formatting as fmt
from engine.analytics import overview as ov
from engine.analytics import overview_charts as oc
from engine.analytics.outcomes import OUTCOME_HELP, OUTCOME_LABELS, FindingOutcome
from engine.analytics.pace import pace_notice
from engine.analytics.run_config_rows import run_config_rows
from engine.core.errors import DamagedFileError
from engine.core.models import API_UNAVAILABLE_REASON, BatchRun
from ui import actions, context, loaders
from ui import charts as ui_charts
from ui import components as c

REFRESH_SECONDS = 2
TIMELINE_LIMIT = 200


def engine_location(run: BatchRun | None) -> str | None:
    """Where the run's latest engine runs or ran: host, pid and, in the worker fleet, worker."""
    if run is None or run.engine_host is None:
        return None
    worker = f", worker {c.code(run.engine_worker)}" if run.engine_worker else ""
    return f"host {c.code(run.engine_host)}, pid {run.pid}{worker}"


def banner(view: loaders.RunView) -> None:
    """What state the run is in, in words, with the action that fits."""
    run = view.state
    reason = (run.status_reason if run else None) or view.entry.status_reason
    resume_label = "Resume run"
    with st.container(horizontal=True, vertical_alignment="center"):
        # Every state's banner is one alert of the same height, so the page does not jump as the
        # run goes from starting to running to completed.
        if view.status == "running":
            source = f" from {c.md(view.entry.source_file)}" if view.entry.source_file else ""
            since = c.when(view.entry.started_at or view.entry.created_at)
            st.info(
                f"**Running**{source}, started {since} — this page refreshes every {REFRESH_SECONDS} s "
                "while the run works.",
                icon=":material/autorenew:",
            )
            if not context.allowed(Action.stop):
                return
            st.button(
                "Stop run",
                key="overview_stop",
                icon=":material/stop_circle:",
                on_click=actions.stop,
                args=(view.run_id,),
                help="Signals the engine to stop after recording its state. Agent sessions already "
                "dispatched keep running remotely; Resume picks them up.",
            )
            return
        if view.status == "queued":
            boot = view.bootstrap
            job = (
                f" as job {c.code(boot.job_id)} in queue {c.code(boot.queue)}" if boot and boot.job_id else ""
            )
            st.info(
                f"Queued for the worker fleet{job}; a worker starts its engine as soon as one is free.",
                icon=":material/queue:",
            )
            if context.allowed(Action.stop):
                st.button(
                    "Take off the queue",
                    key="overview_stop",
                    icon=":material/remove_from_queue:",
                    on_click=actions.stop,
                    args=(view.run_id,),
                    help="The run does not start; Resume queues it again.",
                )
            return
        if view.status == "starting":
            boot = view.bootstrap
            detail = (
                f" (engine pid {boot.pid}, launched {c.when(boot.started_at)})" if boot and boot.pid else ""
            )
            st.info(
                f"Starting the engine{detail}. The run's data appears here in a moment.",
                icon=":material/hourglass_top:",
            )
            return
        if view.status == "completed":
            held = sum(view.entry.held_back.values())
            if held:  # never "completed" as if all were done while findings were held back
                planned = view.entry.findings
                st.warning(
                    f"Completed {c.when(view.entry.completed_at)}: {planned:,} of {planned + held:,} "
                    f"findings worked on, **{held:,} held back** (why, and what to do, below).",
                    icon=":material/check_circle:",
                )
            else:
                st.success(f"Completed {c.when(view.entry.completed_at)}.", icon=":material/check_circle:")
            return
        if view.status == "crashed":
            where = engine_location(run)
            fleet = bool(run and run.engine_worker)
            st.error(
                "**The engine of this run stopped unexpectedly** — it no longer writes a heartbeat, or "
                + ("its worker no longer holds the run's lease" if fleet else "its process is gone")
                + (f" (it ran on {where})" if where else "")
                + ". Agent sessions already dispatched keep running remotely. "
                + (
                    "The fleet queues the run again once it finds the worker dead; it then resumes on "
                    "another worker."
                    if fleet
                    else "Resume starts a new engine that continues where this one stopped."
                ),
                icon=":material/error:",
            )
        elif view.status == "failed to start":
            error = view.bootstrap.error if view.bootstrap else None
            st.error(
                f"**The engine failed to start.** {c.md(error or 'No error was recorded.')}",
                icon=":material/warning:",
            )
            resume_label = "Try starting again"
        elif view.status == "paused" and reason == API_UNAVAILABLE_REASON:
            st.warning(
                "**Paused: the agent API stayed unavailable** for longer than the run's horizon "
                "(`API_UNAVAILABLE_HORIZON_MINUTES`). Agent sessions already dispatched keep running "
                "remotely. Resume checks the connection first, then continues.",
                icon=":material/cloud_off:",
            )
        elif view.status == "paused":
            st.warning(f"**Paused at the wave gate.** {c.md(reason or '')}", icon=":material/pause_circle:")
        elif view.status == "interrupted":
            st.info(
                f"**Stopped.** {c.md(reason or 'The run was interrupted.')}", icon=":material/stop_circle:"
            )
        elif view.status == "failed":
            st.error(f"**The engine hit an internal error.** {c.md(reason or '')}", icon=":material/cancel:")
        elif view.status == "pending":
            st.info("Prepared, but its engine was never started.", icon=":material/schedule:")
            resume_label = "Start run"
        if not context.allowed(Action.resume):
            return
        st.button(
            resume_label,
            key="overview_resume",
            type="primary",
            icon=":material/play_arrow:",
            on_click=actions.resume,
            args=(view.run_id,),
            help="Starts an engine for this run with the settings it was launched with.",
        )


def cards(figures: ov.OverviewCards) -> None:
    """Finding outcomes, which add up to the findings total; session attempts apart, below."""
    o = figures.outcomes
    # Wider where the label is longest, so no label is cut short at 1440 px.
    cols = st.columns([1, 1, 1.45, 1, 1, 1])
    cols[0].metric(
        "Findings",
        f"{figures.findings:,}",
        border=True,
        help="Every finding of the upload, after "
        "merging duplicates: the five outcomes beside it add up to this.",
    )
    for col, outcome in zip(cols[1:], FindingOutcome, strict=True):
        rejected = outcome == FindingOutcome.failed and o.rejected
        col.metric(
            OUTCOME_LABELS[outcome],
            f"{o.count(outcome):,}",
            delta=f"{o.rejected:,} PR rejected" if rejected else None,
            delta_color="off",
            delta_arrow="off",
            border=True,
            help=OUTCOME_HELP[outcome],
        )
    a = figures.attempts
    st.caption(
        f"Fix rate {fmt.percent(o.fix_rate)} (fixed out of fixed + failed) · Session attempts: "
        f"{a.sessions:,} ({a.succeeded:,} finished, {a.failed:,} failed or timed out, {a.active:,} active)"
    )
    with st.container(horizontal=True, gap="small"):
        for severity, count in figures.by_severity.items():
            st.badge(f"{count} {severity}", color=c.SEVERITY_COLORS[severity])  # type: ignore[arg-type]


def held_back(figures: ov.OverviewCards) -> None:
    """Findings the run did not work on, prominently, each reason with what to do."""
    if not figures.held_back:
        return
    held = figures.outcomes.held_back
    lines = "\n".join(
        f"- **{g.count:,}** — {c.md(g.label)}. *To change:* {c.md(g.advice)}." for g in figures.held_back
    )
    st.warning(
        f"**{held:,} of {figures.findings:,} findings held back** — this run did not work on them."
        f"\n\n{lines}",
        icon=":material/pause_circle:",
    )


def pace(run: BatchRun, running: bool) -> None:
    """Why dispatch is slower than the run's settings (429s, a review backlog), while it runs."""
    notice = pace_notice(run, running)
    if notice is None:
        return
    lines = "\n".join(f"- {c.md(line)}" for line in notice.reasons)
    text = f"**{c.md(notice.headline)}**\n\n{lines}"
    if running:
        st.info(text, icon=":material/speed:")
    else:
        st.caption(text)


def charts(run: BatchRun, decisions: dict, total: int, merged: frozenset[str]) -> None:
    left, right = st.columns(2, gap="medium")
    with left:
        ui_charts.show(
            oc.severity_chart(oc.severity_outcomes(run, decisions, merged)), key="overview_severity"
        )
    with right:
        ui_charts.show(oc.progress_chart(oc.progress_over_time(run), total), key="overview_progress")


def waves(rows: list[ov.WaveProgress]) -> None:
    st.subheader("Waves", anchor=False)
    if not rows:
        st.caption("No waves planned.")
        return
    box = st.container(height=360 if len(rows) > 8 else "content", border=False)
    for w in rows:
        done = w.fixed + w.awaiting_review + w.failed
        text = (
            f"**Wave {w.number}** · {w.status} — {done}/{w.findings} done · {w.fixed} fixed · "
            f"{w.awaiting_review} PR awaiting review · {w.failed} failed · {w.in_flight} in flight"
        )
        box.progress(w.done_fraction, text=text)


def recent(table: pd.DataFrame, run_id: str) -> None:
    with st.container(horizontal=True, vertical_alignment="bottom"):
        st.subheader("Recent sessions", anchor=False, width="content")
        st.page_link(
            context.SESSIONS,
            label="All sessions",
            icon=":material/arrow_forward:",
            query_params={context.RUN_PARAM: run_id},
        )
    if table.empty:
        st.caption("No sessions dispatched yet.")
        return
    st.dataframe(
        c.minutes(c.http_links(table, ["pull_request_url"]), "duration_s"),
        hide_index=True,
        column_config={
            "finding_id": st.column_config.TextColumn("Finding", width=220),
            "attempt": st.column_config.NumberColumn("Attempt", width=80),
            "status": st.column_config.TextColumn("Status", width=130),
            "updated": c.datetime_column("Updated"),
            "duration_s": c.duration_column(),
            "pull_request_url": c.link_column("PR", "Open PR"),
        },
    )


def timeline(items: list[ov.TimelineItem]) -> None:
    with st.container(horizontal=True, vertical_alignment="bottom"):
        st.subheader("Timeline", anchor=False, width="content")
        st.caption("Engine events and review decisions, newest first.")
    if not items:
        st.caption("Nothing has happened yet.")
        return
    table = pd.DataFrame([i.model_dump() for i in items])
    table["kind"] = table["kind"].map(fmt.label)
    st.dataframe(
        table[["ts", "source", "kind", "message", "finding_id"]],
        hide_index=True,
        height=440,
        row_height=c.WRAPPED_ROW_HEIGHT,
        column_config={
            "ts": c.datetime_column("When"),
            "source": st.column_config.TextColumn("Source", width=70),
            "kind": st.column_config.TextColumn("Event", width=140),
            "message": st.column_config.TextColumn("Message", width=430),
            "finding_id": st.column_config.TextColumn("Finding", width=150),
        },
    )


def not_started(runs_dir: Path, view: loaders.RunView) -> None:
    try:
        report = loaders.ingest_report(runs_dir, view.run_id)
    except DamagedFileError as exc:
        report = None
        st.warning(c.md(exc), icon=":material/broken_image:")
    if report is not None:
        cols = st.columns(4)
        cols[0].metric("Findings accepted", report.accepted, border=True)
        cols[1].metric("Rows rejected", report.rejected_rows, border=True)
        cols[2].metric("Warnings", len(report.warnings), border=True)
        cols[3].metric("Duplicates merged", report.duplicates_merged, border=True)
    boot = view.bootstrap
    if boot is not None:
        st.caption(
            f"Bootstrap: {boot.status} at {c.when(boot.started_at)}"
            + (f", pid {boot.pid}" if boot.pid else "")
        )


_HANDOFF = "_pw_overview_view"


def live(runs_dir: Path, run_id: str, shown: str) -> None:
    """The part that refreshes. On the page's own run it uses the view the page already loaded;
    on its timed reruns it reads the run again (cheap when nothing changed: cached reads)."""
    handed = st.session_state.pop(_HANDOFF, None)
    view = handed if handed is not None and handed.run_id == run_id else loaders.run_view(runs_dir, run_id)
    if view is None:
        return
    if view.damage is not None:  # damaged since the page was drawn
        c.damaged_notice(view.damage)
        return
    if view.status != shown:
        st.rerun()  # the run changed state: redraw the whole app (sidebar, buttons, refresh)
    run = view.state
    if run is None:
        not_started(runs_dir, view)
        return
    if (where := engine_location(run)) is not None:
        st.caption(f"Engine: {where}")  # which machine (and fleet worker) runs it
    now = datetime.now(UTC)
    decisions = loaders.decisions(runs_dir, run_id)
    merged = loaders.merged_pull_requests(runs_dir, run.data_source)  # merged PRs are fixes too
    figures = ov.overview_cards(run, decisions, merged)
    held_back(figures)
    pace(run, view.status == "running")
    cards(figures)
    charts(run, dict(decisions), figures.findings, merged)
    waves(ov.wave_progress(run, decisions, view.status, merged))
    # One above the other, full width: side by side, neither table's columns fit at 1440 px.
    recent(ov.recent_sessions(run, now, limit=10), run_id)
    timeline(ov.timeline(loaders.events(runs_dir, run_id), loaders.reviews(runs_dir, run_id), TIMELINE_LIMIT))
    with st.expander("Run settings", icon=":material/tune:"):
        st.dataframe(
            pd.DataFrame(run_config_rows(run.config)),
            hide_index=True,
            column_config={
                "setting": st.column_config.TextColumn("Setting", width=300),
                "value": st.column_config.TextColumn("Value", width=600),
            },
        )


view = c.require_run(need_state=False)
c.page_header("Overview", ":material/dashboard:")
c.run_caption(view)
banner(view)
ctx = context.current()
st.session_state[_HANDOFF] = view
st.fragment(live, run_every=REFRESH_SECONDS if view.active else None)(ctx.runs_dir, view.run_id, view.status)
