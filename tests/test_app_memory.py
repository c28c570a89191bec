"""The Memory page and the session detail's lessons, on a runs folder of two real simulated
runs: run 1 failed some sessions and had a pull request approved, run 2's prompts carried
what that taught. Reviewers retire a lesson (audited); viewers cannot, even by calling the
callback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.access.audit import read_audit
from engine.access.roles import Action
from engine.memory import LessonKind, memory_store
from engine.memory.hooks import learn_from_review
from engine.runs.paths import RunPaths
from engine.runs.reviews import record_review, reviewable
from tests.app_fixtures import open_page, texts, use_runs_fixture  # noqa: F401  (pytest fixture)
from tests.engine_helpers import SAMPLE, cli, load_run
from tests.test_app_access import REVIEWER, VIEWER, call_as, roles, signed_in  # noqa: F401  (fixture)
from ui import memory_actions

pytestmark = pytest.mark.slow
SOURCE = "simulated"


def _run(runs: Path, run_id: str) -> None:
    done = cli(
        runs,
        "run",
        str(SAMPLE),
        "--speed",
        "2000",
        "--failure-rate",
        "0.3",
        "--min-success-rate",
        "0",
        "--max-retries",
        "0",
        "--no-ledger",
        "--run-id",
        run_id,
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def memory_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    runs = tmp_path_factory.mktemp("app_memory") / "runs"
    _run(runs, "first")
    first = load_run(runs, "first")
    session = next(s for s in first.sessions if reviewable(s))
    decided = record_review(
        RunPaths.of(runs, "first"),
        first,
        session.finding_id,
        session.attempt,
        "approved",
        "rita@acme.com",
        "ok",
    )
    learn_from_review(runs, first, decided)
    _run(runs, "second")
    return runs


@pytest.fixture
def runs(memory_runs: Path, tmp_path: Path, use_runs) -> Path:
    """A copy each test may change."""
    copy = tmp_path / "runs"
    shutil.copytree(memory_runs, copy, ignore=shutil.ignore_patterns("*.lock"))
    use_runs(copy)
    return copy


def _approved_lesson(runs: Path):  # type: ignore[no-untyped-def]
    book = memory_store(runs).read(SOURCE)
    return next(i for i in book.items.values() if i.kind == LessonKind.fix)


def test_the_page_lists_each_lesson_with_its_use_and_outcomes(runs: Path) -> None:
    at = open_page("memory", "second")
    assert not at.exception, at.exception
    lesson = _approved_lesson(runs)
    table = at.dataframe[0].value
    row = table[table["item_id"] == lesson.item_id].iloc[0]
    assert row["lesson"] == lesson.text and row["status"] == "active"
    assert row["uses"] == lesson.uses > 0  # run 2's sessions of that category and service carried it
    assert "approved by rita@acme.com: run first" in row["learned_from"]
    assert row["outcomes"] != "—"
    assert any(m.label == "Active lessons" for m in at.metric)
    assert any(b.label == "Retire lesson" for b in at.button)  # a local admin may retire


def test_a_reviewer_retires_a_lesson_and_it_is_audited(runs: Path) -> None:
    lesson = _approved_lesson(runs)
    at = open_page("memory", "second")
    at.selectbox(key=memory_actions.RETIRE_PICK_KEY).select(lesson.item_id)
    at.button[0].click().run()  # no reason yet: refused
    assert not at.exception, at.exception
    assert memory_store(runs).read(SOURCE).items[lesson.item_id].retired is None
    assert any("needs a reason" in e.value for e in at.error)
    at.selectbox(key=memory_actions.RETIRE_PICK_KEY).select(lesson.item_id)
    at.text_input(key=memory_actions.RETIRE_REASON_KEY).input("the service moved to a new ORM")
    next(b for b in at.button if b.label == "Retire lesson").click().run()
    assert not at.exception, at.exception
    retired = memory_store(runs).read(SOURCE).items[lesson.item_id].retired
    assert retired is not None and retired.reason == "the service moved to a new ORM"
    assert "Retired lesson" in texts(at)
    table = at.dataframe[0].value
    assert table[table["item_id"] == lesson.item_id].iloc[0]["status"] == "retired"
    (entry,) = [e for e in read_audit(runs) if e.action == Action.curate_memory.value]
    assert entry.target == f"memory:{SOURCE}:{lesson.item_id}"
    assert entry.details["reason"] == "the service moved to a new ORM"


def test_a_viewer_sees_no_retire_form_and_cannot_call_it(runs: Path, roles: Path) -> None:  # noqa: F811
    lesson = _approved_lesson(runs)
    at = signed_in(VIEWER, "second")
    at.switch_page("app_pages/memory.py").run()
    assert not at.exception, at.exception
    assert at.dataframe and not any(b.label == "Retire lesson" for b in at.button)
    assert "Reviewers and admins may retire" in texts(at)
    at = call_as(VIEWER, "retire_lesson", SOURCE)
    assert any("Not allowed" in e.value for e in at.error)
    assert memory_store(runs).read(SOURCE).items[lesson.item_id].retired is None
    assert read_audit(runs) == []
    # a reviewer's call gets as far as the form's values (none picked here)
    at = call_as(REVIEWER, "retire_lesson", SOURCE)
    assert any("Pick the lesson" in e.value for e in at.error)


def test_the_session_detail_shows_the_lessons_its_prompt_carried(runs: Path) -> None:
    lesson = _approved_lesson(runs)
    second = load_run(runs, "second")
    user = next(s for s in second.sessions if lesson.item_id in s.memory_ids)
    plain = next(s for s in second.sessions if not s.memory_ids)
    at = open_page("sessions", "second")
    at.selectbox[0].select((user.finding_id, user.attempt)).run()
    assert not at.exception, at.exception
    assert "Lessons from memory" in texts(at)
    frames = [f.value for f in at.dataframe if "lesson" in f.value.columns]
    assert frames and lesson.text in list(frames[0]["lesson"])
    at.selectbox[0].select((plain.finding_id, plain.attempt)).run()
    assert "None: the memory held no lesson" in texts(at)


def test_an_empty_memory_says_where_lessons_come_from(tmp_path: Path, use_runs) -> None:
    use_runs(tmp_path)
    at = open_page("memory")
    assert "memory is empty" in texts(at)
