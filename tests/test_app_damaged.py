"""The app with a damaged file in the newest run, or a damaged run index: every page still
draws, the damage is shown for that run only with the file named, and every other run stays
usable (AppTest: in-process, no browser)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app_fixtures import (
    PAGES,
    open_page,
    texts,
    use_runs_fixture,  # noqa: F401  (pytest fixture)
)
from tests.damage_fixtures import (
    DAMAGE,
    NEWEST,
    OLDER,
    PROBLEM,
    damaged_copy,
    snapshot,
    two_runs_fixture,  # noqa: F401  (pytest fixture)
)
from ui.components import md

slow = pytest.mark.slow  # the fixture runs the engine
PICKER = "pw_run_picker"
RUN_PAGES = ["overview", "findings", "sessions", "review", "ops", "eval"]


@slow
@pytest.mark.parametrize("page_name", list(PAGES))
@pytest.mark.parametrize("kind", list(DAMAGE))
def test_every_page_draws_with_a_damaged_state_in_the_newest_run(
    two_runs: Path, tmp_path: Path, use_runs, kind: str, page_name: str
) -> None:
    runs = damaged_copy(two_runs, tmp_path / "runs", f"{NEWEST}/state.json", kind)
    use_runs(runs)
    at = open_page(page_name)
    assert not at.exception, at.exception
    picker = at.sidebar.selectbox(key=PICKER)
    assert picker.value == NEWEST
    assert picker.options == [f"🩹 {NEWEST}", f"✅ {OLDER}"]
    if page_name == "history":
        table = at.dataframe[0].value
        assert dict(zip(table["run_id"], table["status"], strict=True))[NEWEST].endswith(" damaged")
    if page_name in RUN_PAGES:
        [notice] = [e.value for e in at.error if "is damaged" in e.value]
        assert md(f"{runs / NEWEST / 'state.json'} is damaged ({PROBLEM[kind]}") in notice
        assert md("Move the run folder away or restore the file; other runs are unaffected.") in notice


@slow
@pytest.mark.parametrize("kind", list(DAMAGE))
def test_the_other_run_stays_usable_next_to_a_damaged_one(
    two_runs: Path, tmp_path: Path, use_runs, kind: str
) -> None:
    runs = damaged_copy(two_runs, tmp_path / "runs", f"{NEWEST}/state.json", kind)
    use_runs(runs)
    at = open_page("findings")
    picker = at.sidebar.selectbox(key=PICKER)
    assert picker.options == [f"🩹 {NEWEST}", f"✅ {OLDER}"]
    picker.select(OLDER).run()
    assert not at.exception, at.exception
    assert at.query_params["run"] == OLDER
    assert not [e for e in at.error if "is damaged" in e.value]
    assert len(at.dataframe[0].value) == 24  # the older run's findings


@slow
@pytest.mark.parametrize("page_name", list(PAGES))
def test_every_page_draws_with_a_damaged_index(
    two_runs: Path, tmp_path: Path, use_runs, page_name: str
) -> None:
    runs = damaged_copy(two_runs, tmp_path / "runs", "_shared/index.json", "truncated")
    use_runs(runs)
    at = open_page(page_name)
    assert not at.exception, at.exception
    notices = [w.value for w in at.warning if "is damaged" in w.value]
    damage = (
        f"{runs / '_shared' / 'index.json'} is damaged ({PROBLEM['truncated']}, in the middle of a value). "
        "Move "
        "it away (or restore it) and the run list is rebuilt from the run folders; the runs "
        "themselves are unaffected."
    )
    assert notices == [md(damage) + " The runs below are listed from the run folders."]
    picker = at.sidebar.selectbox(key=PICKER)
    assert picker.options == [f"⏹️ {NEWEST}", f"✅ {OLDER}"]


@slow
def test_with_a_damaged_index_each_run_opens_and_resume_refuses(
    two_runs: Path, tmp_path: Path, use_runs
) -> None:
    runs = damaged_copy(two_runs, tmp_path / "runs", "_shared/index.json", "wrong-shape")
    use_runs(runs)
    at = open_page("overview", OLDER)
    assert not at.exception, at.exception
    assert "Completed" in texts(at)
    at.sidebar.selectbox(key=PICKER).select(NEWEST).run()
    assert "Stopped" in texts(at)
    before = snapshot(runs)
    next(b for b in at.button if b.label == "Resume run").click().run()
    assert not at.exception, at.exception
    [said] = [e.value for e in at.error if "Could not resume" in e.value]
    assert md(f"{runs / '_shared' / 'index.json'} is damaged") in said
    assert snapshot(runs) == before  # still interrupted, nothing written
