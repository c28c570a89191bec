"""Patchwave: the entry file. It frames every page: navigation, the run selector (kept in the
URL as `?run=<id>`), the selected run's status and data source, and the pending reviews.

Before anything else it settles who is using the app (ui/identity.py): the pages offered
depend on the role. The button callbacks check the role again on the server (ui/actions.py)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from pydantic import ValidationError

from engine.access.roles import Action, can
from engine.analytics.review_queue import pending_review_count
from engine.core.errors import BadInputError
from engine.policy.weights_migration import migrate_service_weights
from engine.settings.environment import describe_invalid_settings
from ui import action_guard, components, context, identity, loaders, pull_pages
from ui.markup import code, md

# A file shipped with the app: a material icon as the tab icon is fetched from a font server, and
# fails offline.
FAVICON = Path(__file__).resolve().parent / "ui" / "assets" / "favicon.png"

st.set_page_config(
    page_title="Patchwave",
    page_icon=str(FAVICON),
    layout="wide",
    menu_items={"About": "Patchwave dispatches security findings to AI coding agent sessions."},
)

PAGES = {
    "Run": [
        st.Page(
            context.LAUNCH,
            title="Launch",
            icon=":material/rocket_launch:",
            url_path="launch",
            help="Upload a findings CSV, check it, preview its priority order and wave plan, then launch.",
        ),
        st.Page(
            context.OVERVIEW,
            title="Overview",
            icon=":material/dashboard:",
            default=True,
            help="The selected run live: headline numbers, wave progress, recent sessions and timeline.",
        ),
        st.Page(
            context.FINDINGS,
            title="Findings",
            icon=":material/bug_report:",
            url_path="findings",
            help="The selected run's findings in priority order, filterable, with session and PR links.",
        ),
        st.Page(
            context.SESSIONS,
            title="Sessions",
            icon=":material/smart_toy:",
            url_path="sessions",
            help="Every agent session of the selected run, and the detail and trace of one session.",
        ),
        st.Page(
            context.REVIEW,
            title="Review",
            icon=":material/rate_review:",
            url_path="review",
            help="Approve or reject the agents' pull requests; pending ones first.",
        ),
        st.Page(
            context.WORKERS,
            title="Workers",
            icon=":material/dns:",
            url_path="workers",
            help="The worker fleet: workers with their host, state and current runs; queued, running "
            "and failed jobs.",
        ),
    ],
    "Insights": [
        st.Page(
            context.HISTORY,
            title="History",
            icon=":material/history:",
            url_path="history",
            help="All runs with their outcome, and a side-by-side comparison of two runs.",
        ),
        st.Page(
            context.ROI,
            title="ROI",
            icon=":material/savings:",
            url_path="roi",
            help="Engineer time and money saved against estimated agent cost, per run and cumulative.",
        ),
        st.Page(
            context.OPS,
            title="Ops",
            icon=":material/monitoring:",
            url_path="ops",
            help="Service levels of the selected run: durations, time to PR, throughput and ACU budget.",
        ),
        st.Page(
            context.EVAL,
            title="Eval",
            icon=":material/fact_check:",
            url_path="eval",
            help="How well the agent does per finding category, with health bands.",
        ),
        st.Page(
            context.LEDGER,
            title="Ledger",
            icon=":material/inventory_2:",
            url_path="ledger",
            help="Every finding across scans and runs: lifecycle state, SLA, objectives and triage.",
        ),
        st.Page(
            context.MEMORY,
            title="Memory",
            icon=":material/psychology:",
            url_path="memory",
            help="Lessons learned from earlier sessions, carried into new prompts: where each came from, "
            "how often it was used and with what outcome; reviewers retire them.",
        ),
    ],
}

try:
    settings = context.settings()
except ValidationError as exc:
    problems = describe_invalid_settings(exc)
    st.error(
        f"Patchwave's settings are invalid: {md(problems)}. Fix the environment, `.env` or the settings "
        "file and reload."
    )
    st.stop()
except BadInputError as exc:  # the settings file is unreadable
    st.error(f"Patchwave's settings are invalid: {md(exc)}. Fix it and reload.")
    st.stop()

who = identity.gate(settings)
try:
    # Service weights set by an earlier version move into the services file, once.
    if (moved := migrate_service_weights(settings)) is not None:
        action_guard.say("warning", moved)
except (BadInputError, OSError) as exc:
    action_guard.say("error", f"The service weights of an earlier version could not be moved: {md(exc)}")


def offered(page: st.Page) -> bool:
    """Pages by role: Launch and Workers for operators and up, Review for reviewers and up,
    Audit, Settings and Policy for admins."""
    needs = {
        "launch": Action.launch,
        "workers": Action.read_fleet,
        "review": Action.review,
        "audit": Action.read_audit,
        "settings": Action.change_settings,
        "policy": Action.change_settings,
    }
    return can(who, needs.get(page.url_path, Action.read))


PAGES["Admin"] = [
    st.Page(
        context.AUDIT,
        title="Audit",
        icon=":material/policy:",
        url_path="audit",
        help="Who launched, stopped, resumed and reviewed what, and when.",
    ),
    st.Page(
        context.SETTINGS,
        title="Settings",
        icon=":material/settings:",
        url_path="settings",
        help="Change the run settings kept in the settings file; every change is audited.",
    ),
    st.Page(
        context.POLICY,
        title="Policy",
        icon=":material/gavel:",
        url_path="policy",
        help="Services (importance, session caps) and the cross-run policy: SLAs, budgets, retries, "
        "objectives; every change is audited.",
    ),
]
shown = {section: [p for p in pages if offered(p)] for section, pages in PAGES.items()}
page = st.navigation({section: pages for section, pages in shown.items() if pages})
context.follow_pending_switch()

runs_dir = context.runs_dir_of(settings)
pull_pages.serve(runs_dir, settings.sim_pull_pages_url)  # simulated PR links open after their run
listing = loaders.listing(runs_dir)
runs = listing.entries
if listing.damage is not None:
    st.warning(
        f"{components.md(listing.damage)} The runs below are listed from the run folders.",
        icon=":material/broken_image:",
    )
run_id = context.select_run(runs)
view = loaders.run_view(runs_dir, run_id) if run_id else None
context.remember(
    context.AppContext(
        runs_dir=runs_dir,
        run_id=run_id,
        has_api_key=settings.api_key is not None,
        view=view,
        identity=who,
    )
)

with st.sidebar:
    identity.sidebar(who)
    if run_id is None:
        st.caption("No runs yet. Launch one to see it here.")
    else:
        statuses = loaders.shown_statuses(runs_dir, runs, view)
        st.selectbox(
            "Selected run",
            [e.run_id for e in runs],
            key=context.PICKER_KEY,
            # The status as a mark: the sidebar is too narrow for a run id and a word.
            format_func=lambda rid: components.run_choice(rid, statuses[rid]),
            on_change=context.on_pick,
            help="Every run, newest first, marked with its status (✅ completed, 🟢 running, ⏸️ paused, "
            "💥 crashed...). The choice is kept in the page address (?run=…), so links work.",
        )
        if view is not None:
            with st.container(horizontal=True, gap="small"):
                components.status_badge(view.status)
                components.source_badge(view.entry.data_source)
            if view.state is not None and can(who, Action.review):
                pending = pending_review_count(view.state, loaders.decisions(runs_dir, run_id))
                noun = "review" if pending == 1 else "reviews"
                st.page_link(
                    context.REVIEW,
                    label=f"{pending} pending {noun}",
                    icon=":material/pending_actions:" if pending else ":material/task_alt:",
                    help="Pull requests of this run awaiting a human decision.",
                    query_params={context.RUN_PARAM: run_id},
                )
    st.caption(f"Runs folder: {code(runs_dir)}")

components.flash()
page.run()
