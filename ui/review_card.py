"""What a Review card shows besides its buttons: the finding, the agent's fix approach, files
changed, the diff, tests, checks, confidence and the session link (engine.analytics.review_context).

The pull request's evidence comes from the run folder for simulated runs (the saved pull
request) and from the Git host for live ones; a Git host answer is kept for a few minutes, so a
page of cards does not ask the host again on every rerun."""

from __future__ import annotations

import time
from pathlib import Path

import streamlit as st

from engine.analytics import formatting as fmt
from engine.analytics.review_context import ReviewContext, review_context
from engine.analytics.review_queue import ReviewItem
from engine.core.data_sources import session_source
from engine.core.errors import BadInputError
from engine.core.models import BatchRun
from engine.core.pull_evidence import PullEvidence
from engine.ledger.pulls import PullRequestLookupError, git_pull_evidence, parse_pull_request_url
from engine.runs.paths import RunPaths
from engine.settings.environment import Settings
from engine.simulator.pull_archive import saved_pull_evidence
from ui import components as c

GIT_HOST_TTL_SECONDS = 300
CHECK_COLORS = {"success": "green", "failure": "red"}


# A Git host that gave no answer is left alone this long: each lookup waits out its retries
# (seconds), and a page of review cards would wait that long for every one of them.
GIT_HOST_DOWN_SECONDS = 60
_git_host_down: dict[str, tuple[float, str]] = {}  # API base URL -> (time.monotonic(), why)


@st.cache_data(ttl=GIT_HOST_TTL_SECONDS, max_entries=256, show_spinner=False)
def _git_lookup(base_url: str, token: str | None, url: str) -> PullEvidence | str:
    try:
        return git_pull_evidence(base_url, token, url)
    except PullRequestLookupError as exc:
        if exc.unreachable:  # not cached: the host may answer again in a minute
            raise
        return str(exc)


def _git_evidence(base_url: str, token: str | None, url: str) -> PullEvidence | str:
    down = _git_host_down.get(base_url)
    if down is not None and time.monotonic() - down[0] < GIT_HOST_DOWN_SECONDS:
        return f"the Git host at {base_url} did not answer a moment ago ({down[1]})"
    try:
        return _git_lookup(base_url, token, url)
    except PullRequestLookupError as exc:
        _git_host_down[base_url] = (time.monotonic(), str(exc))
        return str(exc)


def _evidence(
    runs_dir: Path, run: BatchRun, url: str, settings: Settings, simulated: bool
) -> tuple[PullEvidence | None, str | None]:
    if simulated:
        saved = saved_pull_evidence(RunPaths.of(runs_dir, run.run_id).root, url)
        return saved, None if saved else "the simulated pull request is not in the run folder"
    try:
        parse_pull_request_url(url)
    except BadInputError:
        return None, "the link is not a pull request on a GitHub-compatible host"
    token = settings.github_token.get_secret_value() if settings.github_token else None
    found = _git_evidence(settings.git_api_base_url, token, url)
    return (found, None) if isinstance(found, PullEvidence) else (None, found)


def context_for(runs_dir: Path, run: BatchRun, item: ReviewItem, settings: Settings) -> ReviewContext:
    session = next((s for s in run.sessions if s.key == (item.finding_id, item.attempt)), None)
    # A hybrid run's simulated sessions keep their pull requests in the run folder too.
    simulated = (session_source(run, session) if session else run.data_source) == "simulated"
    evidence, missing = _evidence(runs_dir, run, item.pull_request_url, settings, simulated)
    return review_context(run, item, evidence, missing)


def _finding(ctx: ReviewContext) -> None:
    facts = [ctx.category]
    if ctx.cwe_id:
        facts.append(ctx.cwe_id)
    if ctx.scanner:
        facts.append(f"found by {ctx.scanner}")
    line = " · ".join(c.md(f) for f in facts)
    if ctx.location:
        line += f" · {c.code(ctx.location)}"
    st.caption(line)
    if ctx.description:
        st.caption(c.md(ctx.description[:400] + ("…" if len(ctx.description) > 400 else "")))


def _tests(ctx: ReviewContext) -> str:
    if ctx.tests_passed is None:
        verdict = "Tests not reported"
    else:
        verdict = "Tests passed" if ctx.tests_passed else "Tests failed"
    if ctx.tests_added:
        verdict += f", {ctx.tests_added} added"
    return verdict


def render(ctx: ReviewContext) -> None:
    _finding(ctx)
    st.markdown(f"**Fix approach** — {c.md(ctx.fix_approach or 'The agent did not describe its fix.')}")
    facts = st.container(horizontal=True, gap="small")
    with facts:
        c.badge(f"Confidence {fmt.percent(ctx.confidence)}", "blue" if ctx.confidence else "gray")
        c.badge(
            _tests(ctx), "green" if ctx.tests_passed else ("red" if ctx.tests_passed is False else "gray")
        )
        for check in ctx.checks:
            color = CHECK_COLORS.get(check.conclusion or "", "gray")
            st.badge(f"{c.md(check.name)}: {c.md(check.conclusion or 'pending')}", color=color)  # type: ignore[arg-type]
    if ctx.files:
        lines = []
        for f in ctx.files:
            counts = "" if f.additions is None else f" (+{f.additions} −{f.deletions or 0})"
            lines.append(f"- {c.code(f.path)}{counts}")
        changed = len(ctx.files)
        st.markdown(f"**Files changed ({changed})**\n" + "\n".join(lines))
    if ctx.tests_run:
        st.markdown("**Tests run** " + ", ".join(c.code(t) for t in ctx.tests_run))
    with st.expander("Diff", icon=":material/difference:", expanded=False):
        st.caption(c.md(ctx.diff_note))
        if ctx.diff:
            st.code(ctx.diff, language="diff", line_numbers=False)
    if c.is_http(ctx.session_url):
        st.link_button("Open session", ctx.session_url or "", icon=":material/smart_toy:", type="tertiary")
