"""Review: approve or reject the agents' pull requests. The reviewer is the signed-in identity
(the signed-in e-mail, or the local admin when sign-in is off); it is shown, never typed."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from engine.analytics.review_queue import ReviewItem, review_queue
from ui import actions, context, loaders, review_card
from ui import components as c

PAGE_SIZE = 20

view = c.require_run()
ctx = context.current()
settings = context.settings()
c.page_header("Review", ":material/rate_review:")
c.run_caption(view)

queue = review_queue(view.state, loaders.decisions(ctx.runs_dir, view.run_id))
pending = [i for i in queue if i.state == "pending"]
decided = [i for i in queue if i.state != "pending"]
reviewer = ctx.identity.email if ctx.identity else "nobody"
st.markdown(f"Reviewing as :material/person: **{c.md(reviewer)}**")

if not queue:
    st.info(
        "No pull requests to review yet. Successful sessions with a pull request appear here.",
        icon=":material/inbox:",
    )
    st.stop()

cols = st.columns(3)
cols[0].metric("Pending", len(pending), border=True)
cols[1].metric("Approved", sum(1 for i in decided if i.state == "approved"), border=True)
cols[2].metric("Rejected", sum(1 for i in decided if i.state == "rejected"), border=True)

controls = st.container(horizontal=True, vertical_alignment="bottom")
filter_choice = controls.segmented_control(
    "Show",
    ["Pending", "Decided", "All"],
    default="Pending",
    key="review_filter",
    required=True,
)
items = {"Pending": pending, "Decided": decided, "All": queue}[filter_choice or "Pending"]


def card(item: ReviewItem) -> None:
    with st.container(border=True, key=f"review_card::{item.finding_id}::{item.attempt}"):
        top = st.container(horizontal=True, vertical_alignment="center", gap="small")
        top.markdown(f"**{c.md(item.finding_id)}** · {c.md(item.title)}", width="content")
        top.badge(item.severity.capitalize(), color=c.SEVERITY_COLORS.get(item.severity, "gray"))  # type: ignore[arg-type]
        with top:
            c.badge(item.service, "blue")
        if item.state != "pending":
            top.badge(item.state.capitalize(), color="green" if item.state == "approved" else "red")
        review_card.render(review_card.context_for(ctx.runs_dir, view.state, item, settings))
        row = st.container(horizontal=True, vertical_alignment="bottom", gap="small")
        if c.is_http(item.pull_request_url):
            row.link_button("Open PR", item.pull_request_url, icon=":material/open_in_new:")
        if item.state != "pending":
            note = f"{item.state.capitalize()} by {c.md(item.reviewer or '?')} {c.when(item.decided_at)}"
            if item.reason:
                note += f" — “{c.md(item.reason)}”"
            st.caption(note)
        row.text_input(
            "Reason (optional)",
            key=actions.reason_key(view.run_id, item.finding_id, item.attempt),
            placeholder="Why? (optional)",
            max_chars=2000,
            label_visibility="collapsed",
        )
        args = (view.run_id, item.finding_id, item.attempt)
        if item.state != "approved":
            row.button(
                "Approve",
                key=f"approve::{item.finding_id}::{item.attempt}",
                icon=":material/check:",
                type="primary",
                on_click=actions.decide,
                args=(*args, "approved"),
            )
        if item.state != "rejected":
            row.button(
                "Reject",
                key=f"reject::{item.finding_id}::{item.attempt}",
                icon=":material/close:",
                on_click=actions.decide,
                args=(*args, "rejected"),
            )


if not items:
    st.success("Nothing pending — every pull request has a decision.", icon=":material/celebration:")
else:
    pages = max(1, -(-len(items) // PAGE_SIZE))
    page_no = 1
    if pages > 1:
        page_no = int(controls.number_input(f"Page (of {pages})", 1, pages, 1, key="review_page", width=160))
    for item in items[(page_no - 1) * PAGE_SIZE : page_no * PAGE_SIZE]:
        card(item)

with st.expander(f"All pull requests ({len(queue)})", icon=":material/list:"):
    table = pd.DataFrame([i.model_dump() for i in queue])
    st.dataframe(
        c.http_links(table, ["pull_request_url"]),
        hide_index=True,
        column_order=[
            "state",
            "finding_id",
            "attempt",
            "severity",
            "service",
            "title",
            "pull_request_url",
            "reviewer",
            "reason",
            "decided_at",
        ],
        row_height=c.WRAPPED_ROW_HEIGHT,
        # Pixel widths that add up to the expander's width at 1440 px (about 940), so no column hides.
        column_config={
            "state": st.column_config.TextColumn("State", width=80),
            "finding_id": st.column_config.TextColumn("Finding", width=130),
            "attempt": st.column_config.NumberColumn("Attempt", width=60),
            "severity": st.column_config.TextColumn("Severity", width=70),
            "service": st.column_config.TextColumn("Service", width=90),
            "title": st.column_config.TextColumn("Title", width=120),
            "pull_request_url": c.link_column("PR", "Open PR", width=70),
            "reviewer": st.column_config.TextColumn("Reviewer", width=80),
            "reason": st.column_config.TextColumn("Reason", width=100),
            "decided_at": c.datetime_column("Decided", width=130, short=True),
        },
    )
