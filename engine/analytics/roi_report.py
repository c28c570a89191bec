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
from engine.analytics.roi_figures import RoiAssumptions, RoiFigures, total_roi

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
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
.chart { border: 1px solid #d9e2ec; border-radius: 8px; height: 360px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid #e4e7eb; padding: 6px 8px; text-align: right; }
th:first-child, td:first-child, th:nth-child(2), td:nth-child(2) { text-align: left; }
th { background: #f5f7fa; }
.note { color: #616e7c; font-size: 12px; }
@media print { .charts { grid-template-columns: 1fr; } }
"""


def _card(label: str, value: str, estimated: bool = False) -> str:
    mark = ' <span class="est">(estimated)</span>' if estimated else ""
    return (
        f'<div class="card"><div class="label">{escape(label)}{mark}</div>'
        f'<div class="value">{escape(value)}</div></div>'
    )


def _cards(total: RoiFigures) -> str:
    cards = [
        _card("Hours saved", fmt.number(total.hours_saved)),
        _card("Money saved", fmt.money(total.money_saved)),
        _card("Agent cost", fmt.money(total.agent_cost), estimated=total.acus_estimated),
        _card("Net savings", fmt.money(total.net_savings)),
        _card("ROI multiple", fmt.multiple(total.roi_multiple)),
        _card("Acceptance rate", fmt.percent(total.acceptance_rate)),
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
    "Fixes",
    "Hours saved",
    "Money saved",
    "ACUs (est.)",
    "Agent cost (est.)",
    "Net savings",
    "ROI",
    "Accepted",
]


def _when(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if ts.tzinfo else ts.strftime("%Y-%m-%d %H:%M")


def _run_cells(f: RoiFigures) -> list[str]:
    accepted = f"{fmt.percent(f.acceptance_rate)} of {f.reviewed}" if f.reviewed else fmt.DASH
    return [
        f.run_id,
        _when(f.started),
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
        f"Each successful fix saves {fmt.number(a.hours_per_fix)} engineer hours.",
        f"An engineer hour costs {fmt.money(a.hourly_rate)}.",
        f"An ACU costs ${a.price_per_acu:,.2f}.",
        f"ACU usage is estimated as one ACU per {fmt.number(a.minutes_per_acu)} agent minutes, "
        "capped at each session's ACU limit; the API reports no actual usage.",
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
        f'<div class="sub">{escape(runs)} · generated {escape(generated_at.isoformat(timespec="seconds"))}'
        "</div>"
        f"{_cards(total)}"
        f"<h2>Savings over time</h2>{_charts(figures)}"
        f"<h2>Per run</h2>{_runs_table(figures, total)}"
        f"{cost_section_html(cost) if cost is not None else ''}"
        f"<h2>Assumptions</h2>{_assumptions(assumptions)}"
        '<p class="note">Agent cost is an estimate derived from agent time, not billed usage.</p>'
        "</body></html>\n"
    )
