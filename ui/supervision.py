"""A session's supervision on the Sessions page: its nudges, a termination after a second
stall, and the feedback a retry was given (engine.analytics.supervision). The messages and
the feedback repeat what an agent and a scanner wrote: shown as plain text and JSON only."""

from __future__ import annotations

import streamlit as st

from engine.analytics.supervision import SessionSupervision
from ui import components as c
from ui.markup import md

REASONS = {
    "blocked": "it was blocked, waiting for input",
    "idle": "no new message or status change for the stall minutes",
}


def supervision_card(supervision: SessionSupervision) -> None:
    stall_minutes = supervision.stall_minutes
    with st.container(border=True):
        st.markdown("**Supervision**")
        if supervision.empty:
            st.caption(
                f"Not nudged, and not a retry told about an earlier attempt. A session blocked, or "
                f"without a new message or status change for {md(f'{stall_minutes:g}')} agent minutes, "
                "is nudged once and terminated if it stalls again."
                if stall_minutes > 0
                else "Supervision was off for this session (stall minutes 0)."
            )
        for nudge in supervision.nudges:
            reason = REASONS.get(nudge.reason, nudge.reason)
            st.markdown(f"**Nudged** {md(c.when(nudge.ts))}: {md(reason)}")
            with st.expander("Message sent", icon=":material/chat:"):
                st.text(nudge.message)
        if supervision.stalled_out_at is not None:
            st.warning(
                f"Terminated {md(c.when(supervision.stalled_out_at))}: it stalled again after its nudge.",
                icon=":material/block:",
            )
        feedback = supervision.feedback
        if feedback is not None:
            st.markdown(
                f"**Retry feedback**: this attempt was told how attempt {md(feedback.attempt)} ended "
                f"({md(feedback.outcome)}), its structured output and its last "
                f"{md(len(feedback.last_messages))} messages."
            )
            if feedback.error:
                st.text(feedback.error)
            with st.expander("Feedback in the prompt", icon=":material/history:"):
                st.json(feedback.model_dump(), expanded=True)
