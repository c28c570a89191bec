"""The run history table and the comparison of two runs."""

from __future__ import annotations

import math

from engine.analytics.history import compare_runs, history_table
from tests.analytics_fixtures import at, decision, entry

COLUMNS = [
    "run_id",
    "started",
    "status",
    "findings",
    "fixed",
    "awaiting_review",
    "failed",
    "held_back",
    "fix_rate",
    "duration_s",
    "data_source",
]


def entries():
    return [
        # done in an hour: 3 fixed, 1 failed
        entry("r1", started=0, completed=3600, findings=5, succeeded=3, failed=1, open_=1, pull_requests=3,
              sessions=6, agent_seconds=5400),
        # still running since 7200
        entry("r2", started=7200, status="running", findings=4, succeeded=1, open_=3, pull_requests=1,
              sessions=2, agent_seconds=900),
        # created at 8000, never started
        entry("r3", started=None, created=8000, status="pending", findings=2, open_=2).model_copy(
            update={"held_back": {"global_limit": 3}}
        ),
    ]  # fmt: skip


def test_history_table_newest_first() -> None:
    approved = decision("F1", 1, "approved", run_id="r1")
    rejected = decision("F2", 1, "rejected", run_id="r1")
    table = history_table(entries(), {"r2": "stale"}, now=at(9000), decisions=[approved, rejected])
    assert list(table.columns) == COLUMNS
    assert list(table["run_id"]) == ["r3", "r2", "r1"]  # started 8000 (created), 7200, 0
    assert list(table["started"]) == [at(8000), at(7200), at(0)]
    assert list(table["status"]) == ["pending", "stale", "completed"]  # display status wins
    # findings count the held-back ones: r3 held 3 back for the budget
    assert list(table["findings"]) == [5, 4, 5]
    assert list(table["held_back"]) == [3, 0, 0]
    # r1: 3 PRs, one approved (fixed), one rejected (failed), one awaiting review; 1 failed before
    assert (table["fixed"][2], table["awaiting_review"][2], table["failed"][2]) == (1, 1, 2)
    r3, r2, r1 = table["fix_rate"]
    assert math.isnan(r3) and math.isnan(r2)  # nothing decided (r2's PR awaits review)
    assert r1 == 1 / 3  # 1 fixed / (1 fixed + 2 failed)
    d3, d2, d1 = table["duration_s"]
    assert math.isnan(d3)  # never started
    assert d2 == 1800.0  # running: now 9000 - 7200
    assert d1 == 3600.0  # completed 3600 - started 0
    assert list(table["data_source"]) == ["simulated"] * 3


def test_history_table_of_no_runs() -> None:
    table = history_table([], {}, now=at(0))
    assert table.empty
    assert list(table.columns) == COLUMNS


def test_compare_runs() -> None:
    r1, r2, _ = entries()
    table = compare_runs(r1, r2, {"r2": "stale"})
    assert list(table.columns) == ["metric", "r1", "r2"]
    assert list(table["metric"]) == [
        "status",
        "findings",
        "fixed",
        "PR awaiting review",
        "failed",
        "held back",
        "open",
        "fix rate",
        "session attempts",
        "agent hours",
        "duration",
    ]
    # no review yet: every PR awaits review, nothing is fixed (fix rate 0 / 1 for r1)
    # agent hours 5400 s / 3600 = 1.50 and 900 / 3600 = 0.25; r2 has no end yet
    assert list(table["r1"]) == ["completed", "5", "0", "3", "1", "0", "1", "0%", "6", "1.50", "1h 00m"]
    assert list(table["r2"]) == ["stale", "4", "0", "1", "0", "0", "3", "—", "2", "0.25", "—"]


def test_compare_a_run_with_itself_and_an_undecided_run() -> None:
    _, _, r3 = entries()
    table = compare_runs(r3, r3, {})
    assert list(table.columns) == ["metric", "r3", "r3 (2)"]
    assert table.set_index("metric").loc["fix rate", "r3"] == "—"
    assert table.set_index("metric").loc["duration", "r3 (2)"] == "—"
