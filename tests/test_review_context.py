"""A Review card gives the reviewer something to judge: the finding, the agent's fix approach,
files changed, the diff (from the simulator's saved pull request or from the Git host), tests,
checks, confidence and the session link."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.analytics.review_context import review_context
from engine.analytics.review_queue import review_queue
from engine.ledger.pulls import PullRequestLookupError, git_pull_evidence
from engine.runs.paths import RunPaths
from engine.simulator import SimulatorServer
from engine.simulator.pull_archive import saved_pull_evidence
from tests.app_fixtures import (  # noqa: F401  (pytest fixtures)
    COMPLETED,
    app_runs_fixture,
    copy_run,
    open_page,
    texts,
    use_runs_fixture,
)
from tests.engine_helpers import load_run
from tests.test_simulator_pulls import make_finding, open_pull

slow = pytest.mark.slow


@slow
def test_each_card_of_a_simulated_run_carries_the_fix_and_its_diff(app_runs: Path) -> None:
    run = load_run(app_runs, COMPLETED)
    items = review_queue(run, {})
    assert items
    for item in items:
        evidence = saved_pull_evidence(RunPaths.of(app_runs, COMPLETED).root, item.pull_request_url)
        ctx = review_context(run, item, evidence)
        session = next(s for s in run.sessions if s.key == (item.finding_id, item.attempt))
        assert ctx.fix_approach and ctx.fix_approach == session.progress.fix_approach
        assert ctx.diff and ctx.diff.startswith("diff --git ")
        assert ctx.files and all(f"b/{f.path}" in ctx.diff for f in ctx.files)
        assert all(f.additions is not None for f in ctx.files)
        assert ctx.checks and ctx.confidence == session.progress.confidence
        assert ctx.tests_run == session.progress.tests_run
        assert ctx.session_url == session.url and ctx.category and ctx.location
        assert "simulator" in ctx.diff_note


@slow
def test_a_card_whose_pull_request_cannot_be_read_says_so(app_runs: Path, tmp_path: Path) -> None:
    runs = copy_run(app_runs, COMPLETED, tmp_path / "runs")
    shutil.rmtree(runs / COMPLETED / "pulls")
    run = load_run(runs, COMPLETED)
    item = review_queue(run, {})[0]
    evidence = saved_pull_evidence(RunPaths.of(runs, COMPLETED).root, item.pull_request_url)
    assert evidence is None
    ctx = review_context(run, item, evidence, "the simulated pull request is not in the run folder")
    session = next(s for s in run.sessions if s.key == (item.finding_id, item.attempt))
    assert ctx.diff is None and "could not be read" in ctx.diff_note and "run folder" in ctx.diff_note
    # the agent's own account still shows: the files it says it changed, without counts
    assert [f.path for f in ctx.files] == session.progress.files_modified
    assert all(f.additions is None for f in ctx.files)


def test_the_git_host_serves_the_diff_of_a_live_pull_request() -> None:
    with SimulatorServer(seed=1, speed=5000, failure_rate=0.0) as server:
        url = open_pull(server, make_finding())["pull_request"]["url"]
        evidence = git_pull_evidence(server.root_url, None, url)
        assert evidence.source == "git_host" and evidence.diff.startswith("diff --git a/package.json")
        paths = [f.path for f in evidence.files]
        assert paths == ["package.json", "package-lock.json"]
        assert all((f.additions or 0) + (f.deletions or 0) > 0 for f in evidence.files)
        missing = url.rsplit("/", 1)[0] + "/9999"
        with pytest.raises(PullRequestLookupError, match="not found"):
            git_pull_evidence(server.root_url, None, missing)


@slow
def test_the_review_page_shows_fix_approach_files_and_diff(app_runs: Path, use_runs, tmp_path: Path) -> None:
    runs = copy_run(app_runs, COMPLETED, tmp_path / "runs")
    use_runs(runs)
    at = open_page("review", COMPLETED)
    assert not at.exception
    page = texts(at)
    assert "**Fix approach**" in page and "Files changed (" in page
    run = load_run(runs, COMPLETED)
    first = review_queue(run, {})[0]
    session = next(s for s in run.sessions if s.key == (first.finding_id, first.attempt))
    assert session.progress.fix_approach.split()[0] in page
    diffs = [c.value for c in at.code if c.language == "diff"]
    assert diffs and all(d.startswith("diff --git ") for d in diffs)
    assert any("Confidence" in str(b.label) for b in at.get("badge")) or "Confidence" in page
