"""Service overrides (engine.core.agent_overrides) as the Launch and Sessions pages show them.

They are an administrator's text from the services file: shown in dataframes and as escaped
markdown, never as HTML."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd
import streamlit as st

from engine.core.agent_overrides import AgentOverrides, overrides_by_service
from ui.markup import code

COLUMNS = {
    "service": "Service",
    "configured_as": "In the services file",
    "findings": st.column_config.NumberColumn("Findings", width="small"),
    "instructions": st.column_config.TextColumn("Extra instructions", width="large"),
    "do_not_touch": "Must not touch",
    "test_command": "Test command",
    "reviewers": "Reviewers",
}


def plan_overrides(table: Mapping[str, AgentOverrides], service_names: Iterable[str]) -> int:
    """The Launch preview: per service of the plan, the overrides its prompts will carry.
    Returns how many services have any."""
    rows = overrides_by_service(table, service_names)
    if not rows:
        st.caption(
            "No service of this plan has overrides. Admins set extra instructions, paths the agent "
            "must not touch, a test command and reviewers per service on the **Policy** page."
        )
        return 0
    st.caption(
        "Each session of these services gets the overrides in its prompt, in a section of its own "
        "attributed to the services file (they come from an admin, not from the scan). The run keeps "
        "the values it was launched with."
    )
    st.dataframe(pd.DataFrame(rows, columns=list(COLUMNS)), hide_index=True, column_config=COLUMNS)
    return len(rows)


def session_overrides(found: tuple[str, AgentOverrides] | None) -> None:
    """The Sessions page: what this session's prompt carried from the services file."""
    with st.container(border=True):
        st.markdown("**Service configuration**")
        if found is None:
            st.caption("No overrides: the services file set none for this service when the run started.")
            return
        name, overrides = found
        st.caption(
            f"From the services file, entry {code(name)}, as the run was launched; sent in the prompt."
        )
        if overrides.instructions:
            st.markdown("Extra instructions")
            st.text(overrides.instructions)
        if overrides.do_not_touch:
            st.markdown("Must not touch: " + ", ".join(code(p) for p in overrides.do_not_touch))
        if overrides.test_command:
            st.markdown(f"Test command: {code(overrides.test_command)}")
        if overrides.reviewers:
            st.markdown("Reviewers: " + ", ".join(code(r) for r in overrides.reviewers))
