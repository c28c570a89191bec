"""A self-contained one-page executive ROI report: inline CSS, plotly.js embedded once, and
no resource loaded from anywhere (links are the only URLs). Every data string is escaped."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

import plotly.io as pio

from engine.analytics import formatting as fmt
from engine.analytics.cost import CostBreakdown
from engine.analytics.cost_report import cost_section_html
from engine.analytics.roi_charts import roi_charts
from engine.analytics.roi_figures import SMALL_SAMPLE_FIXES, RoiAssumptions, RoiFigures, total_roi

CHART_CONFIG = {"displaylogo": False, "responsive": True}
CHART_DIV_IDS = {"cumulative": "roi-chart-cumulative", "per_run": "roi-chart-per-run"}

STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2933;
       margin: 0 auto; max-width: 1100px; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; }
.sub { color: #616e7c; font-size: 13px; }
.cards { display: grid; grid-template-columns: repeat(3, 1fr); gap: 12px; margin-top: 16px; }
.card { border: 1px solid #d9e2ec; border-radius: 8px; padding: 12px 16px; }
.card .label { color: #616e7c; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 26px; font-weight: 600; margin-top: 4px; }
.est { color: #b44d12; font-size: 11px; font-weight: normal; }
.sim { color: #6b21a8; font-size: 11px; font-weight: normal; }
.banner { border-radius: 8px; padding: 10px 14px; margin-top: 12px; font-size: 14px; }
.banner.simulated { background: #f3e8ff; border: 1px solid #c4b5fd; }
.banner.small { background: #fff7e6; border: 1px solid #f5c26b; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
.chart { border: 1px solid #d9e2ec; border-radius: 8px; height: 360px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid #e4e7eb; padding: 6px 8px; text-align: right; }
th:first-child, td:first-child, th:nth-child(2), td:nth-child(2) { text-align: left; }
th { background: #f5f7fa; }
.note { color: #616e7c; font-size: 12px; }
@media print { .charts { grid-template-columns: 1fr; } }
"""


def _card(label: str, value: str, estimated: bool = False, simulated: bool = False) -> str:
    mark = ' <span class="est">(estimated)</span>' if estimated else ""
    mark += ' <span class="sim">(simulated)</span>' if simulated else ""
    return (
        f'<div class="card"><div class="label">{escape(label)}{mark}</div>'
        f'<div class="value">{escape(value)}</div></div>'
    )


def _cards(total: RoiFigures) -> str:
    sim = total.simulated
    cards = [
        _card("Accepted fixes", f"{total.successful_fixes:,}", simulated=sim),
        _card("Hours saved", fmt.number(total.hours_saved), simulated=sim),
        _card("Money saved", fmt.money(total.money_saved), simulated=sim),
        _card("Agent cost", fmt.money(total.agent_cost), estimated=total.acus_estimated, simulated=sim),
        _card("Net savings", fmt.money(total.net_savings), simulated=sim),
        _card("ROI multiple", fmt.multiple(total.roi_multiple), simulated=sim),
        _card("Acceptance rate", fmt.percent(total.acceptance_rate), simulated=sim),
        _card(
            f"Potential: {total.awaiting_review:,} PRs awaiting review",
            fmt.money(total.potential_money_saved),
            simulated=sim,
        ),
    ]
    return f'<div class="cards">{"".join(cards)}</div>'


def _charts(figures: list[RoiFigures]) -> str:
    charts = roi_charts(figures)
    parts = []
    for i, (name, figure) in enumerate(charts.items()):
        div = pio.to_html(
            figure,
            full_html=False,
            include_plotlyjs=i == 0,  # plotly.js inline, once
            include_mathjax=False,
            config=CHART_CONFIG,
            div_id=CHART_DIV_IDS[name],
            default_height="360px",
        )
        parts.append(f'<div class="chart">{div}</div>')
    return f'<div class="charts">{"".join(parts)}</div>'


RUN_HEADERS = [
    "Run",
    "Started",
    "Data",
    "Fixes",
    "Hours saved",
    "Money saved",
    "ACUs",
    "Agent cost",
    "Net savings",
    "ROI",
    "Accepted",
]


def _when(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if ts.tzinfo else ts.strftime("%Y-%m-%d %H:%M")


def human_date(ts: datetime) -> str:
    """'2 December 2026, 17:59 UTC': how a person writes a date, not ISO."""
    ts = ts.astimezone(UTC) if ts.tzinfo else ts
    return f"{ts.day} {ts:%B %Y, %H:%M} UTC"


def time_range(total: RoiFigures) -> str:
    """'Runs from 1 December 2026, 09:00 UTC to 2 December 2026, 17:59 UTC'."""
    if not total.runs:
        return "No runs yet"
    return f"Runs from {human_date(total.started)} to {human_date(total.ended or total.started)}"


def data_notes(total: RoiFigures) -> list[tuple[str, str]]:
    """(css class, text) of what the reader must know before trusting the figures."""
    notes = []
    if total.simulated:
        notes.append(
            (
                "simulated",
                f"Simulated data: {total.simulated_runs} of {total.runs} runs used the simulated agent, "
                "so these figures are simulated, not measured.",
            )
        )
    if total.runs and total.small_sample:
        notes.append(
            (
                "small",
                f"Small sample: {total.successful_fixes} accepted "
                f"fix{'' if total.successful_fixes == 1 else 'es'} (fewer than "
                f"{SMALL_SAMPLE_FIXES}); the figures will move a lot as more fixes are reviewed.",
            )
        )
    return notes


def _run_cells(f: RoiFigures) -> list[str]:
    accepted = f"{fmt.percent(f.acceptance_rate)} of {f.reviewed}" if f.reviewed else fmt.DASH
    data = "simulated" if f.runs == 1 and f.simulated else ("live" if f.runs == 1 else "")
    if f.runs > 1:
        data = f"{f.simulated_runs} of {f.runs} simulated"
    return [
        f.run_id,
        _when(f.started),
        data,
        f"{f.successful_fixes:,}",
        fmt.number(f.hours_saved),
        fmt.money(f.money_saved),
        fmt.number(f.acus),
        fmt.money(f.agent_cost),
        fmt.money(f.net_savings),
        fmt.multiple(f.roi_multiple),
        accepted,
    ]


def _row(cells: list[str], tag: str = "td") -> str:
    return "<tr>" + "".join(f"<{tag}>{escape(c)}</{tag}>" for c in cells) + "</tr>"


def _runs_table(figures: list[RoiFigures], total: RoiFigures) -> str:
    ordered = sorted(figures, key=lambda f: (f.started, f.run_id))
    body = "".join(_row(_run_cells(f)) for f in ordered) or (
        f'<tr><td colspan="{len(RUN_HEADERS)}">No runs yet</td></tr>'
    )
    foot = _row(_run_cells(total), "th") if figures else ""
    return (
        f"<table><thead>{_row(RUN_HEADERS, 'th')}</thead><tbody>{body}</tbody><tfoot>{foot}</tfoot></table>"
    )


def _assumptions(a: RoiAssumptions) -> str:
    items = [
        f"Each accepted fix (pull request approved) saves {fmt.number(a.hours_per_fix)} engineer hours; "
        "pull requests awaiting review are potential savings, shown apart; rejected ones count for nothing.",
        f"An engineer hour costs {fmt.money(a.hourly_rate)}.",
        f"An ACU costs ${a.price_per_acu:,.2f}.",
        "ACUs are those the API reported per session; for a run whose sessions reported none they are "
        f"estimated as one ACU per {fmt.number(a.minutes_per_acu)} agent minutes, capped at each "
        "session's ACU limit (marked estimated).",
        "Acceptance rate: approved pull requests over reviewed ones (the decision in force per PR).",
    ]
    return "<ul>" + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>"


def executive_report_html(
    figures: list[RoiFigures],
    assumptions: RoiAssumptions,
    generated_at: datetime,
    cost: CostBreakdown | None = None,
) -> str:
    """`cost`: the sessions' cost breakdown (engine.analytics.cost), a section of its own."""
    total = total_roi(figures)
    runs = f"{len(figures)} run" + ("" if len(figures) == 1 else "s")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>Patchwave ROI report</title>"
        f"<style>{STYLE}</style></head><body>"
        "<h1>Patchwave: security remediation ROI</h1>"
        f'<div class="sub">{escape(runs)} · {escape(time_range(total))} · generated '
        f"{escape(human_date(generated_at))}</div>"
        + "".join(f'<div class="banner {cls}">{escape(text)}</div>' for cls, text in data_notes(total))
        + f"{_cards(total)}"
        f"<h2>Savings over time</h2>{_charts(figures)}"
        f"<h2>Per run</h2>{_runs_table(figures, total)}"
        f"{cost_section_html(cost) if cost is not None else ''}"
        f"<h2>Assumptions</h2>{_assumptions(assumptions)}"
        + (
            '<p class="note">Agent cost is partly estimated from agent time, not billed usage.</p>'
            if total.acus_estimated
            else ""
        )
        + "</body></html>\n"
    )
