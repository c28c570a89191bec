"""The Launch page's "Check connection" for live mode (engine.devin.preflight).

The check's answer is kept in the session for the target it checked (API base URL, a hash of
the key, Git host, a hash of the token), so a changed setting is checked again before the
Launch button is enabled. The launch itself checks once more on the server (ui/actions.py):
the disabled button is only a courtesy."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

import streamlit as st

from engine.access.roles import Action
from engine.devin.preflight import ConnectionTarget, PreflightProblem, blocking, check_connection, target_of
from engine.settings.environment import Settings
from ui.action_guard import permitted
from ui.markup import code, md

CHECK_KEY = "_pw_connection_check"
CHECK_BUTTON_KEY = "launch_check_connection"


def target_key(target: ConnectionTarget) -> tuple[str, ...]:
    def digest(secret: str | None) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()[:16] if secret else ""

    return (
        target.api_base_url,
        digest(target.api_key),
        target.git_api_base_url or "",
        digest(target.github_token),
    )


@dataclass(frozen=True)
class ConnectionCheck:
    target: tuple[str, ...]
    problems: list[PreflightProblem]
    at: datetime

    @property
    def ready(self) -> bool:
        return not blocking(self.problems)


def run_check() -> None:
    """The button's callback: runs the preflight with the caller's settings."""
    allowed = permitted(Action.launch)
    if allowed is None:
        st.session_state.pop(CHECK_KEY, None)
        return
    settings, _ = allowed
    target = target_of(settings)
    st.session_state[CHECK_KEY] = ConnectionCheck(
        target_key(target), check_connection(target), datetime.now(UTC)
    )


def current_check(settings: Settings) -> ConnectionCheck | None:
    """The last check, when it was of the target these settings name."""
    check = st.session_state.get(CHECK_KEY)
    if isinstance(check, ConnectionCheck) and check.target == target_key(target_of(settings)):
        return check
    return None


def connection_panel(settings: Settings) -> bool:
    """Draws the check's button and answer; True when live mode may launch."""
    target = target_of(settings)
    check = current_check(settings)
    with st.container(border=True):
        st.markdown(f"**Live connection**: Devin API at {code(target.api_base_url)}")
        if target.git_api_base_url:
            st.caption(
                "Pull request sync is configured: the Git host "
                f"{code(target.git_api_base_url)} is checked too."
            )
        st.button(
            "Check connection",
            key=CHECK_BUTTON_KEY,
            icon=":material/network_check:",
            on_click=run_check,
            help="Asks the API whether it answers and accepts the key, whether playbooks can be synced, "
            "and the Git host whether it answers, before any session is created.",
        )
        if check is None:
            st.caption("Check the connection before launching a live run.")
            return False
        for problem in check.problems:
            if problem.blocking:
                st.error(md(problem.message), icon=":material/link_off:")
            else:
                st.warning(md(problem.message), icon=":material/warning:")
        if check.ready:
            st.success(
                f"Connection OK at {check.at:%H:%M:%S} UTC: the API answers and accepts the key"
                + (", and the Git host answers." if target.git_api_base_url else "."),
                icon=":material/check_circle:",
            )
        return check.ready
