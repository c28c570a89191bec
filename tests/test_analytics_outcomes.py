"""The one vocabulary: finding outcomes (adding up to the findings total) and session attempts,
and the Overview's severity and progress-over-time charts built on them."""

from __future__ import annotations

import plotly.graph_objects as go

from engine.analytics.outcomes import (
    FindingOutcome,
    attempt_sentence,
    finding_outcomes,
    merged_pull_requests,
    outcome_sentence,
    summarize_attempts,
    summarize_outcomes,
)
from engine.analytics.overview import overview_cards
from engine.analytics.overview_charts import (
    progress_chart,
    progress_over_time,
    severity_chart,
    severity_outcomes,
)
from engine.core.models import FindingCategory, HeldBackFinding, Severity
from engine.ledger.models import Ledger, LedgerEntry, LifecycleState
from tests.analytics_fixtures import T0, decision, finding, run, session

PR = "https://github.com/acme/api/pull/"


def mixed_run():
    """A approved, B rejected, C awaiting review, D failed for good, E in flight, F finished
    without a PR, G merged (no review); H and I held back."""
    r = run(
        findings=[finding(f, "critical" if f in "AB" else "high") for f in "ABCDEFG"],
        sessions=[
            session("A", status="success", start=0, end=10, pr=PR + "A"),
            session("B", status="success", start=0, end=20, pr=PR + "B"),
            session("C", status="success", start=0, end=30, pr=PR + "C"),
            session("D", 1, "failed", start=0, end=5),
            session("D", 2, "failed", start=6, end=40),
            session("E", status="working", start=0),
            session("F", status="success", start=0, end=50),
            session("G", status="success", start=0, end=60, pr=PR + "G"),
        ],
    )
    r.held_back = [
        HeldBackFinding(finding=finding("H", "low"), reason="global_limit", detail="limit"),
        HeldBackFinding(finding=finding("I", "low"), reason="open_pr", detail="open PR"),
    ]
    return r


def decisions():
    a, b = decision("A", 1, "approved"), decision("B", 1, "rejected")
    return {a.key: a, b.key: b}


def test_each_finding_has_one_outcome_and_a_rejected_pr_is_no_fix() -> None:
    outcomes = finding_outcomes(mixed_run(), decisions(), merged_pull_requests={PR + "G"})
    assert outcomes == {
        "A": FindingOutcome.fixed,
        "B": FindingOutcome.failed,
        "C": FindingOutcome.awaiting_review,
        "D": FindingOutcome.failed,
        "E": FindingOutcome.open,
        "F": FindingOutcome.failed,
        "G": FindingOutcome.fixed,
        "H": FindingOutcome.held_back,
        "I": FindingOutcome.held_back,
    }


def test_outcomes_add_up_to_the_findings_total_and_attempts_are_apart() -> None:
    summary = summarize_outcomes(mixed_run(), decisions())
    assert summary.total == 9
    assert (summary.fixed, summary.awaiting_review, summary.failed, summary.held_back, summary.open) == (
        1,
        2,
        3,
        2,
        1,
    )
    assert sum(count for _, count in summary.labelled()) == summary.total
    assert summary.rejected == 1
    assert summary.fix_rate == 0.25  # 1 fixed out of 1 fixed + 3 failed
    assert outcome_sentence(summary) == (
        "9 findings: 1 fixed, 2 PR awaiting review, 3 failed (1 PR rejected), 2 held back, 1 open"
    )
    attempts = summarize_attempts(mixed_run())
    assert (attempts.sessions, attempts.succeeded, attempts.failed, attempts.active) == (8, 5, 2, 1)
    assert attempt_sentence(attempts) == "8 session attempts: 5 finished, 2 failed or timed out, 1 active"


def test_the_severity_chart_counts_every_finding_once_by_outcome() -> None:
    table = severity_outcomes(mixed_run(), decisions())
    assert list(table["severity"]) == ["critical", "high", "medium", "low"]
    by = table.set_index("severity")
    assert (by.loc["critical", "fixed"], by.loc["critical", "failed"]) == (1, 1)
    assert by.loc["low", "held_back"] == 2
    assert int(by.drop(columns=[]).to_numpy().sum()) == 9
    figure = severity_chart(table)
    assert isinstance(figure, go.Figure)
    assert [t.name for t in figure.data] == ["Fixed", "PR awaiting review", "Failed", "Held back", "Open"]
    assert figure.layout.legend.y < 0  # the legend sits below the bars, never over them


def test_progress_over_time_rises_with_each_ended_session() -> None:
    table = progress_over_time(mixed_run())
    assert list(table["sessions_ended"]) == [1, 2, 3, 4, 5, 6, 7]
    # D's first attempt ended at 5 s but D was not done until its second one ended
    assert list(table["findings_done"]) == [0, 1, 2, 3, 4, 5, 6]
    figure = progress_chart(table, total=9)
    # one run of seconds: ticks in clock time, never sub-millisecond
    stops = figure.layout.xaxis.tickformatstops
    assert stops[0].value == "%H:%M:%S" and all("%L" not in s.value for s in stops)
    assert progress_chart(progress_over_time(run()), total=0).layout.annotations[0].text == (
        "No session has ended yet"
    )


def ledger_entry(fp: str, state: LifecycleState, pr_url: str | None) -> LedgerEntry:
    return LedgerEntry(
        fingerprint=fp,
        title=fp,
        category=FindingCategory.xss,
        severity=Severity.high,
        service_name="web",
        scanners=["semgrep"],
        scope="web|semgrep",
        first_seen=T0,
        last_seen=T0,
        last_scan_id="scan-1",
        state=state,
        pr_url=pr_url,
    )


def test_a_pr_the_ledger_records_as_merged_is_a_fix_on_the_overview() -> None:
    book = Ledger(
        entries={
            "c": ledger_entry("c", LifecycleState.pr_merged, PR + "C"),
            "a": ledger_entry("a", LifecycleState.verified_fixed, PR + "A"),
            "x": ledger_entry("x", LifecycleState.pr_open, PR + "X"),
        }
    )
    merged = merged_pull_requests(book)
    assert merged == {PR + "C", PR + "A"}
    cards = overview_cards(mixed_run(), {}, merged)
    # A and C merged: fixed without a review here; B and G still await review
    assert (cards.outcomes.fixed, cards.outcomes.awaiting_review) == (2, 2)
    table = severity_outcomes(mixed_run(), {}, merged).set_index("severity")
    assert table.loc["critical", "fixed"] == 1 and table.loc["high", "fixed"] == 1
