"""What every page needs to know: the settings, the runs folder and the selected run.

The selected run lives in the URL (`?run=<id>`) so a link opens the same run. The entry file
resolves it once per script run (`select_run`) and stores the result for the pages
(`current`). The URL wins; when a page switch drops the parameter the session's last choice
fills it back in; an unknown id falls back to the newest run with a warning."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from engine.access.roles import Action, Identity, can
from engine.runs.index import IndexEntry
from engine.settings.environment import Settings, load_settings
from ui.loaders import RunView
from ui.markup import code

RUN_PARAM = "run"
_CONTEXT_KEY = "_pw_context"
_SELECTED_KEY = "_pw_selected_run"
PICKER_KEY = "pw_run_picker"
_SWITCH_KEY = "_pw_switch_to"

# Page files, for st.switch_page and st.page_link (paths relative to app.py).
LAUNCH = "app_pages/launch.py"
OVERVIEW = "app_pages/overview.py"
FINDINGS = "app_pages/findings.py"
SESSIONS = "app_pages/sessions.py"
REVIEW = "app_pages/review.py"
HISTORY = "app_pages/history.py"
ROI = "app_pages/roi.py"
OPS = "app_pages/ops.py"
EVAL = "app_pages/eval.py"
LEDGER = "app_pages/ledger.py"
MEMORY = "app_pages/memory.py"
AUDIT = "app_pages/audit.py"
SETTINGS = "app_pages/settings.py"
POLICY = "app_pages/policy.py"
WORKERS = "app_pages/workers.py"


@dataclass(frozen=True)
class AppContext:
    runs_dir: Path
    run_id: str | None  # None only when there are no runs
    has_api_key: bool
    # The selected run as loaded by the entry file in this script run, so the page does not
    # load it again (None when there are no runs, or the run left the index).
    view: RunView | None = None
    # Who is using the app, as the entry file resolved it (None for a page run on its own).
    identity: Identity | None = None


def settings() -> Settings:
    """Read per script run, never cached: the environment may change between runs."""
    return load_settings()


def runs_dir_of(s: Settings) -> Path:
    return Path(s.runs_dir).expanduser().resolve()


def allowed(action: Action) -> bool:
    """Whether to show a control for `action`. Only for drawing: the callbacks check again."""
    who = current().identity
    return who is not None and can(who, action)


def select_run(runs: list[IndexEntry]) -> str | None:
    """The run the URL names, else the one chosen earlier in this session, else the newest.
    Writes the choice back to the URL so it can be shared."""
    ids = [e.run_id for e in runs]
    if not ids:
        st.session_state.pop(_SELECTED_KEY, None)
        return None
    wanted = st.query_params.get(RUN_PARAM)
    if wanted in ids:
        chosen = wanted
    else:
        if wanted:
            st.warning(
                f"There is no run {code(wanted, limit=80)}; showing the newest run instead.",
                icon=":material/warning:",
            )
            chosen = ids[0]
        else:
            remembered = st.session_state.get(_SELECTED_KEY)
            chosen = remembered if remembered in ids else ids[0]
    st.session_state[_SELECTED_KEY] = chosen
    st.session_state[PICKER_KEY] = chosen  # before the picker is drawn: allowed
    if st.query_params.get(RUN_PARAM) != chosen:
        st.query_params[RUN_PARAM] = chosen
    return chosen


def on_pick() -> None:
    """The sidebar picker's callback: the URL follows the picker."""
    chosen = st.session_state.get(PICKER_KEY)
    if chosen:
        st.session_state[_SELECTED_KEY] = chosen
        st.query_params[RUN_PARAM] = chosen


def remember(ctx: AppContext) -> None:
    st.session_state[_CONTEXT_KEY] = ctx


def current() -> AppContext:
    """The context the entry file resolved for this script run."""
    ctx = st.session_state.get(_CONTEXT_KEY)
    if ctx is None:  # a page run on its own (not through app.py)
        s = settings()
        ctx = AppContext(runs_dir=runs_dir_of(s), run_id=None, has_api_key=s.api_key is not None)
    return ctx


def go_to_run(run_id: str, page: str = OVERVIEW) -> None:
    """Select `run_id` and open `page` on it. Safe in callbacks: the switch itself happens in
    the entry file once the navigation is registered (`follow_pending_switch`)."""
    st.session_state[_SELECTED_KEY] = run_id
    st.session_state[_SWITCH_KEY] = (page, run_id)


def follow_pending_switch() -> None:
    """Called by the entry file right after st.navigation: performs a switch a callback asked for."""
    pending = st.session_state.pop(_SWITCH_KEY, None)
    if pending is not None:
        page, run_id = pending
        st.switch_page(page, query_params={RUN_PARAM: run_id})
