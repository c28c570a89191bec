"""Workers: the fleet that runs the engines (RUN_QUEUE_URL) — its workers with their host, state,
current runs and last heartbeat, and the queued, running and failed jobs. Operators and admins."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from engine.access.roles import Action
from engine.fleet.overview import JobRow, overview_for
from ui import components as c
from ui import context

REFRESH_SECONDS = 5

c.page_header(
    "Workers",
    ":material/dns:",
    "The worker fleet that runs the runs' engines: each worker holds one run at a time; a run whose "
    "worker dies is queued again and resumed on another.",
)
if not context.allowed(Action.read_fleet):  # the navigation hides it too; this is the check
    st.error("Operators and admins see the worker fleet.", icon=":material/block:")
    st.stop()


def jobs_table(rows: list[JobRow], empty: str) -> None:
    if not rows:
        st.caption(empty)
        return
    st.dataframe(
        pd.DataFrame([r.model_dump() for r in rows]).drop(columns=["status"]),
        hide_index=True,
        column_config={
            "job_id": "Job",
            "run_id": "Run",
            "queue": "Queue",
            "worker": "Worker",
            "attempts": st.column_config.NumberColumn("Attempts", help="Executions of this job so far."),
            "failovers_left": st.column_config.NumberColumn("Failovers left"),
            "enqueued_at": st.column_config.DatetimeColumn("Queued", format="distance"),
            "started_at": st.column_config.DatetimeColumn("Started", format="distance"),
            "ended_at": st.column_config.DatetimeColumn("Ended", format="distance"),
            "error": st.column_config.TextColumn("Error", width="large"),
        },
    )


def fleet() -> None:
    fleet = overview_for(context.settings())
    if fleet is None:
        st.info(
            "Runs start as processes on this machine. Set `RUN_QUEUE_URL=redis://…` to queue them for "
            "a fleet of workers (`python -m engine worker`).",
            icon=":material/computer:",
        )
        return
    if fleet.error is not None:
        st.error(f"The run queue does not answer: {c.md(fleet.error)}", icon=":material/cloud_off:")
        return
    now = datetime.now(UTC)
    cols = st.columns(4)
    cols[0].metric("Workers", len(fleet.workers), border=True)
    cols[1].metric("Busy", sum(1 for w in fleet.workers if w.state == "busy"), border=True)
    cols[2].metric("Queued jobs", len(fleet.queued), border=True)
    cols[3].metric("Failed jobs", len(fleet.failed), border=True)
    st.subheader("Workers", anchor=False)
    if not fleet.workers:
        st.caption("No worker is registered. Start one with `python -m engine worker --max-runs N`.")
    else:
        table = pd.DataFrame([w.model_dump() for w in fleet.workers])
        table["heartbeat_age_s"] = [
            round((now - w.last_heartbeat).total_seconds()) if w.last_heartbeat else None
            for w in fleet.workers
        ]
        st.dataframe(
            table[
                [
                    "name",
                    "node",
                    "host",
                    "state",
                    "current_runs",
                    "last_heartbeat",
                    "heartbeat_age_s",
                    "queues",
                    "pid",
                    "jobs_done",
                    "jobs_failed",
                ]
            ],
            hide_index=True,
            column_config={
                "name": "Worker",
                "node": "Node",
                "host": "Host",
                "state": "State",
                "current_runs": st.column_config.ListColumn("Current runs"),
                "last_heartbeat": st.column_config.DatetimeColumn("Last heartbeat", format="distance"),
                "heartbeat_age_s": st.column_config.NumberColumn("Heartbeat age (s)"),
                "queues": st.column_config.ListColumn("Queues"),
                "pid": "Pid",
                "jobs_done": "Jobs done",
                "jobs_failed": "Jobs failed",
            },
        )
    tabs = st.tabs(
        [f"Running ({len(fleet.running)})", f"Queued ({len(fleet.queued)})", f"Failed ({len(fleet.failed)})"]
    )
    with tabs[0]:
        jobs_table(fleet.running, "No job is running.")
    with tabs[1]:
        jobs_table(fleet.queued, "No job waits for a worker.")
    with tabs[2]:
        jobs_table(fleet.failed, "No job failed.")


st.fragment(fleet, run_every=REFRESH_SECONDS)()
