"""Memory across two real simulated runs: what run 1 taught (its failures, and reviewers'
approvals and a rejection of its pull requests) reaches run 2's prompts for findings of the
same category and service, in rank order, and run 2 records which lessons each session used
and how those sessions ended."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
import requests

from engine.core.models import BatchRun, EventKind, SessionStatus
from engine.memory import LessonKind, memory_store, ranked_lessons
from engine.memory.hooks import learn_from_review
from engine.memory.prompt_section import MEMORY_BEGIN, MEMORY_END
from engine.runs.events import read_events
from engine.runs.paths import RunPaths
from engine.runs.reviews import record_review, reviewable
from engine.simulator import SimulatorServer
from tests.engine_helpers import SAMPLE, cli, load_run

pytestmark = pytest.mark.slow

KEY = "any-key"
REVIEWER = "rita@acme.com"
# A run against the simulator over HTTP, with a key, is a live run: its memory is the live one.
SOURCE = "live"
REJECTION = "the fix pins a version the build mirror does not carry"


def _run(runs: Path, run_id: str, base_url: str) -> BatchRun:
    done = cli(
        runs,
        "run",
        str(SAMPLE),
        "--speed",
        "50",
        "--min-success-rate",
        "0",
        "--max-retries",
        "0",
        "--no-ledger",  # run 2 works on the same findings again
        "--run-id",
        run_id,
        DEVIN_API_KEY=KEY,
        DEVIN_API_BASE_URL=base_url,
    )
    assert done.returncode == 0, done.stderr
    run = load_run(runs, run_id)
    assert run.data_source == SOURCE
    return run


def _prompts(base_url: str, run: BatchRun) -> dict[str, str]:
    prompts = {}
    for session in run.sessions:
        detail = requests.get(
            f"{base_url}/sessions/{session.session_id}",
            headers={"Authorization": f"Bearer {KEY}"},
            timeout=10,
        ).json()
        prompts[session.finding_id] = detail["messages"][0]["message"]
    return prompts


def _review(runs: Path, run: BatchRun, finding_id: str, decision: str, reason: str | None = None) -> None:
    """What the Review page's buttons do (ui.actions.decide): record, then teach the memory."""
    session = next(s for s in run.sessions if s.finding_id == finding_id and reviewable(s))
    decided = record_review(
        RunPaths.of(runs, run.run_id), run, finding_id, session.attempt, decision, REVIEWER, reason
    )  # type: ignore[arg-type]
    learn_from_review(runs, run, decided)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory):
    runs = tmp_path_factory.mktemp("memory") / "runs"
    with SimulatorServer(seed=11, speed=100, failure_rate=0.3) as server:
        first = _run(runs, "first", server.base_url)
        findings = {f.finding_id: f for f in first.findings}
        by_key: dict[tuple[str, str], list[str]] = defaultdict(list)
        for s in first.sessions:
            if reviewable(s):
                f = findings[s.finding_id]
                by_key[(f.category.value, f.service_name)].append(s.finding_id)
        key, (kept, rejected, *_) = next((k, ids) for k, ids in sorted(by_key.items()) if len(ids) >= 2)
        _review(runs, first, kept, "approved")
        _review(runs, first, rejected, "approved")  # the newer of two equal lessons ranks first...
        book = memory_store(runs).read(SOURCE)
        before = [i.provenance[0].finding_id for i in ranked_lessons(book, findings[kept])]
        _review(runs, first, rejected, "rejected", REJECTION)  # ...until its fix is rejected
        second = _run(runs, "second", server.base_url)
        prompts = _prompts(server.base_url, second)
    return runs, first, second, prompts, key, kept, rejected, before


def _fix_of(book, finding_id: str):  # type: ignore[no-untyped-def]
    return next(
        i
        for i in book.items.values()
        if i.kind == LessonKind.fix and i.provenance[0].finding_id == finding_id
    )


def test_a_rejected_fix_lowers_its_lesson(two_runs) -> None:
    runs, first, _, _, _, kept, rejected, before = two_runs
    assert before[:2] == [rejected, kept]
    book = memory_store(runs).read(SOURCE)
    lowered, steady = _fix_of(book, rejected), _fix_of(book, kept)
    assert lowered.confidence < steady.confidence
    assert [p.source for p in lowered.provenance] == ["pr_approved", "pr_rejected"]
    finding = next(f for f in first.findings if f.finding_id == kept)
    ranked = [i.item_id for i in ranked_lessons(book, finding, limit=50)]
    assert ranked.index(steady.item_id) < ranked.index(lowered.item_id)
    pitfall = next(i for i in book.items.values() if REJECTION in i.text)
    assert pitfall.kind == LessonKind.pitfall and pitfall.provenance[0].reviewer == REVIEWER
    assert pitfall.provenance[0].run_id == "first" and pitfall.provenance[0].pr_url


def test_run_ones_lessons_are_in_run_twos_prompts_for_the_same_category_and_service(two_runs) -> None:
    runs, _, second, prompts, key, kept, rejected, _ = two_runs
    book = memory_store(runs).read(SOURCE)
    steady = _fix_of(book, kept)
    same = [f.finding_id for f in second.findings if (f.category.value, f.service_name) == key]
    other = [f.finding_id for f in second.findings if f.category.value != key[0]]
    assert same and other
    for finding_id in same:
        prompt = prompts[finding_id]
        assert prompt.count(MEMORY_BEGIN) == 1, finding_id
        block = prompt.split(MEMORY_BEGIN)[1].split(MEMORY_END)[0]
        assert steady.text in block  # verbatim, as learned from run 1's approved pull request
        assert REJECTION in block
        lowered = _fix_of(book, rejected).text
        if lowered in block:
            assert block.index(steady.text) < block.index(lowered)
    for finding_id in other:
        assert steady.text not in prompts[finding_id]


def test_run_one_failures_reach_run_two(two_runs) -> None:
    runs, first, _, prompts, _, _, _, _ = two_runs
    failed = [s for s in first.sessions if s.status in (SessionStatus.failed, SessionStatus.timeout)]
    assert failed, "seed 11 with a 0.3 failure rate fails some sessions"
    book = memory_store(runs).read(SOURCE)
    pitfalls = [i for i in book.items.values() if i.provenance[0].source == "session_failed"]
    assert {(p.provenance[0].finding_id, p.provenance[0].attempt) for p in pitfalls} <= {
        (s.finding_id, s.attempt) for s in failed
    }
    assert pitfalls
    assert any(p.text in prompt for p in pitfalls for prompt in prompts.values())


def test_run_two_records_which_lessons_each_session_used(two_runs) -> None:
    runs, _, second, prompts, _, kept, _, _ = two_runs
    book = memory_store(runs).read(SOURCE)
    steady = _fix_of(book, kept)
    events = read_events(RunPaths.of(runs, "second").events)
    dispatched = {e.finding_id: e for e in events if e.kind == EventKind.session_dispatched}
    users = [s for s in second.sessions if steady.item_id in s.memory_ids]
    assert users
    for session in second.sessions:
        event = dispatched[session.finding_id]
        recorded = [lesson["item_id"] for lesson in event.details["memory"]]
        assert recorded == session.memory_ids
        for lesson in event.details["memory"]:
            assert lesson["text"] in prompts[session.finding_id]
    # Every session of run 2 that carried the lesson is counted on it, with its outcome.
    assert {(u.run_id, u.finding_id) for u in steady.recent_uses if u.run_id == "second"} == {
        ("second", s.finding_id) for s in users
    }
    ended = sum(steady.outcomes.get(o, 0) for o in ("success", "failed", "timeout"))
    assert ended == len(users) and steady.outcomes.get("in_flight", 0) == 0
