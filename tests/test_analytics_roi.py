"""ROI figures, totals, running totals, charts and the executive report."""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser

import pytest
from pydantic import ValidationError

from engine.analytics.roi import (
    RoiAssumptions,
    cumulative_roi,
    executive_report_html,
    roi_charts,
    run_roi,
    total_roi,
)
from tests.analytics_fixtures import T0, at, decision, entry

EVIL = "<script>alert(1)</script>"
A = RoiAssumptions()  # 3 h per fix, $80 per hour, $2.25 per ACU, 15 agent minutes per ACU


def entry_a():
    # 4 fixes; 7200 agent s = 120 min = 8 ACUs (cap 6 sessions × 10 = 60 does not bind)
    return entry("run-a", started=0, completed=3600, succeeded=4, failed=1, sessions=6, agent_seconds=7200)


def entry_b(run_id: str = "run-b"):
    # 10 fixes; 36000 agent s = 600 min = 40 ACUs (cap 12 × 10 = 120 does not bind)
    return entry(run_id, started=86400, completed=90000, succeeded=10, sessions=12, agent_seconds=36000)


def decisions_a():
    return [
        decision("F1", 1, "rejected", seconds=10, run_id="run-a"),
        decision("F1", 1, "approved", seconds=20, run_id="run-a"),  # replaces the rejection
        decision("F2", 1, "rejected", seconds=30, run_id="run-a"),
        decision("F3", 1, "approved", seconds=40, run_id="other-run"),  # not this run's
    ]


def test_run_roi_counts_accepted_fixes_only() -> None:
    f = run_roi(entry_a(), decisions_a(), A)
    # 4 PRs: F1 approved (a fix), F2 rejected (nothing), 2 awaiting review (potential only)
    assert (f.run_id, f.started, f.successful_fixes, f.awaiting_review) == ("run-a", T0, 1, 2)
    assert f.hours_saved == 3.0  # 1 × 3
    assert f.money_saved == 240.0  # 3 × 80
    assert f.potential_money_saved == 480.0  # 2 × 3 × 80, shown apart
    assert f.acus == 8.0  # 7200 / 60 / 15
    assert f.acus_estimated is True
    assert f.agent_cost == 18.0  # 8 × 2.25
    assert f.net_savings == 222.0  # 240 - 18
    assert f.roi_multiple == pytest.approx(13.3333333)  # 240 / 18
    assert (f.reviewed, f.approved, f.acceptance_rate) == (2, 1, 0.5)  # F1 approved, F2 rejected
    assert f.simulated and f.small_sample


def test_a_rejected_pr_saves_nothing_and_unreviewed_ones_are_potential() -> None:
    rejected = [decision("F1", 1, "rejected", run_id="run-a")]
    f = run_roi(entry_a(), rejected, A)
    assert (f.successful_fixes, f.money_saved, f.awaiting_review) == (0, 0.0, 3)


def test_agent_cost_uses_the_acus_the_sessions_reported() -> None:
    reported = entry_a().model_copy(update={"acus_reported": 30.0, "sessions_without_usage": 0})
    f = run_roi(reported, [], A)
    assert (f.acus, f.acus_estimated, f.agent_cost) == (30.0, False, 67.5)  # 30 × 2.25
    # 3 of the 6 sessions reported nothing: their half of the agent time (3600 s) is 4 ACUs
    partly = entry_a().model_copy(update={"acus_reported": 30.0, "sessions_without_usage": 3})
    assert (run_roi(partly, [], A).acus, run_roi(partly, [], A).acus_estimated) == (34.0, True)


def test_acus_are_capped_by_the_session_limit() -> None:
    # 36000 s = 40 ACUs, but 2 sessions × 5 ACU limit = 10
    f = run_roi(entry("r", succeeded=1, sessions=2, agent_seconds=36000, max_acu_per_session=5), [], A)
    assert f.acus == 10.0
    assert f.agent_cost == 22.5  # 10 × 2.25
    # no limit configured (0): no cap -> 40
    assert run_roi(entry("r", sessions=2, agent_seconds=36000, max_acu_per_session=0), [], A).acus == 40.0


def test_zero_cost_and_nothing_reviewed() -> None:
    f = run_roi(entry("r", started=None, created=50, succeeded=2, agent_seconds=0), [], A)
    assert f.started == at(50)  # never started: its creation
    assert (f.agent_cost, f.roi_multiple) == (0.0, None)
    assert (f.reviewed, f.acceptance_rate) == (0, None)
    assert f.net_savings == 0.0  # no PR accepted yet: nothing saved
    assert f.potential_money_saved == 480.0  # 2 × 3 × 80, if both are accepted
    free = run_roi(entry_a(), [], RoiAssumptions(price_per_acu=0))
    assert free.roi_multiple is None


def test_assumptions_are_validated() -> None:
    for bad in ({"hours_per_fix": 0}, {"hourly_rate": -1}, {"price_per_acu": -0.01}, {"minutes_per_acu": 0}):
        with pytest.raises(ValidationError):
            RoiAssumptions(**bad)


def test_total_roi_sums_and_recomputes_ratios() -> None:
    figures = [run_roi(entry_b(), [], A), run_roi(entry_a(), decisions_a(), A)]
    t = total_roi(figures)
    assert (t.run_id, t.started) == ("all runs", T0)  # run-a started first
    assert (t.successful_fixes, t.awaiting_review) == (1, 12)  # run-b: 10 PRs, none reviewed
    assert t.hours_saved == 3.0
    assert t.money_saved == 240.0
    assert t.potential_money_saved == 2880.0  # (2 + 10) × 3 × 80
    assert t.acus == 48.0  # 8 + 40
    assert t.agent_cost == 108.0  # 18 + 90
    assert t.net_savings == 132.0  # 240 - 108
    assert t.roi_multiple == pytest.approx(2.2222222)  # 240 / 108, not a mean of the runs' multiples
    assert (t.reviewed, t.approved, t.acceptance_rate) == (2, 1, 0.5)
    assert (t.runs, t.simulated_runs, t.ended) == (2, 2, at(90000))


def test_total_roi_of_no_runs() -> None:
    t = total_roi([])
    assert (t.successful_fixes, t.money_saved, t.agent_cost, t.net_savings) == (0, 0, 0, 0)
    assert (t.roi_multiple, t.acceptance_rate) == (None, None)
    assert t.started.year == 1970


def test_cumulative_roi_in_start_order() -> None:
    figures = [run_roi(entry_b(), [], A), run_roi(entry_a(), [], A)]
    table = cumulative_roi(figures)
    assert list(table.columns) == [
        "started",
        "run_id",
        "money_saved",
        "agent_cost",
        "net_savings",
        "cumulative_net_savings",
        "cumulative_money_saved",
        "cumulative_agent_cost",
    ]
    assert list(table["run_id"]) == ["run-a", "run-b"]
    assert list(table["cumulative_net_savings"]) == [-18.0, -108.0]  # nothing accepted yet
    assert list(table["cumulative_money_saved"]) == [0.0, 0.0]
    assert list(table["cumulative_agent_cost"]) == [18.0, 108.0]
    assert cumulative_roi([]).empty


def test_roi_charts() -> None:
    figures = [run_roi(entry_a(), [], A), run_roi(entry_b(), [], A)]
    charts = roi_charts(figures)
    assert set(charts) == {"cumulative", "per_run"}
    # by day: run-a on 1 Jan, run-b a day later; a category axis, never sub-millisecond ticks
    cumulative = charts["cumulative"]
    assert list(cumulative.data[0].x) == ["01 Jan 2024", "02 Jan 2024"]
    assert list(cumulative.data[0].y) == [-18.0, -108.0]
    assert cumulative.layout.xaxis.type == "category"
    saved, cost = charts["per_run"].data
    assert (list(saved.x), list(saved.y), list(cost.y)) == (["run-a", "run-b"], [0.0, 0.0], [18.0, 90.0])
    # the legend sits above the plot, clear of the bars' run labels
    assert charts["per_run"].layout.legend.yanchor == "bottom" and charts["per_run"].layout.legend.y >= 1
    one = roi_charts([run_roi(entry_a(), [], A)])["cumulative"]
    assert list(one.data[0].x) == ["01 Jan 2024"] and one.layout.xaxis.type == "category"
    empty = roi_charts([])
    assert len(empty["cumulative"].data[0].y or []) == 0
    assert empty["per_run"].layout.annotations[0].text == "No runs yet"


class Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_sizes: list[int] = []
        self._in_script = False
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = True
            self.script_sizes.append(0)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_sizes[-1] += len(data)
        else:
            self.text.append(data)


def test_executive_report_is_self_contained_and_escaped() -> None:
    figures = [run_roi(entry_a(), decisions_a(), A), run_roi(entry_b(EVIL), [], A)]
    html = executive_report_html(figures, A, generated_at=at(100000))
    parser = Collector()
    parser.feed(html)
    parser.close()
    text = " ".join(parser.text)
    # the totals (see test_total_roi_sums_and_recomputes_ratios)
    for shown in ("3.0", "$240", "$108", "$132", "2.2×", "50%", "(estimated)", "$2,880"):
        assert shown in text, shown
    assert "Potential: 12 PRs awaiting review" in text
    # simulated data and a small sample are said up front; the time range in human dates
    assert "(simulated)" in text and "Simulated data: 2 of 2 runs" in text
    assert "Small sample: 1 accepted fix (" in text
    assert "Runs from 1 January 2024, 12:00 UTC to 2 January 2024, 13:00 UTC" in text
    assert "generated 2 January 2024, 15:46 UTC" in text
    assert "T15:46" not in text  # no raw ISO timestamp
    # the per-run rows and the assumptions
    assert "$18" in text and "$90" in text and "simulated" in text
    assert "$80" in text and "$2.25" in text and "15.0 agent minutes" in text
    # both charts' divs; plotly.js embedded once (one large script), the rest are small
    ids = {attrs.get("id") for tag, attrs in parser.tags if tag == "div"}
    assert {"roi-chart-cumulative", "roi-chart-per-run"} <= ids
    assert sum(1 for size in parser.script_sizes if size > 100_000) == 1
    # the run id is escaped everywhere, in the table and in the chart data
    assert EVIL not in html
    assert escape(EVIL) in html
    # nothing is loaded from elsewhere: only <a href> may carry a URL
    for tag, attrs in parser.tags:
        for name, value in attrs.items():
            if name in ("src", "href", "data", "srcset", "poster") and tag != "a":
                assert not value or not ("http" in value or value.startswith("//")), (tag, name, value)
    assert not any(tag in ("link", "iframe", "img", "object", "embed") for tag, _ in parser.tags)
    assert "url(" not in html.split("<script")[0]  # no CSS-loaded resources in the inline style


def test_executive_report_with_no_runs() -> None:
    html = executive_report_html([], A, generated_at=at(0))
    parser = Collector()
    parser.feed(html)
    text = " ".join(parser.text)
    assert "No runs yet" in text
    assert "$0" in text
    ids = {attrs.get("id") for tag, attrs in parser.tags if tag == "div"}
    assert {"roi-chart-cumulative", "roi-chart-per-run"} <= ids
