"""The executive report's cost breakdown: ACUs and cost per accepted fix, per category and per
service (engine.analytics.cost), as an HTML section in the report's own style. Every data string
is escaped; estimated figures say so."""

from __future__ import annotations

from html import escape

from engine.analytics import formatting as fmt
from engine.analytics.cost import CostBreakdown, GroupCost

GROUP_HEADERS = ["{what}", "Sessions", "ACUs", "Cost", "Accepted fixes", "ACUs per fix", "Cost per fix"]


def _acus(value: float | None, estimated: bool) -> str:
    if value is None:
        return fmt.DASH
    return f"{value:,.1f}" + (" (est.)" if estimated else "")


def _dollars(value: float | None) -> str:
    return fmt.DASH if value is None else f"${value:,.2f}"


def _cells(group: GroupCost) -> list[str]:
    return [
        group.key,
        f"{group.sessions:,}",
        _acus(group.acus, group.estimated),
        _dollars(group.cost),
        f"{group.accepted_fixes:,}",
        _acus(group.acus_per_accepted_fix, group.estimated),
        _dollars(group.cost_per_accepted_fix),
    ]


def _row(cells: list[str], tag: str = "td") -> str:
    return "<tr>" + "".join(f"<{tag}>{escape(c)}</{tag}>" for c in cells) + "</tr>"


def _table(what: str, groups: list[GroupCost], total: GroupCost) -> str:
    headers = [h.format(what=what) for h in GROUP_HEADERS]
    empty = f'<tr><td colspan="{len(headers)}">No sessions</td></tr>'
    body = "".join(_row(_cells(g)) for g in groups) or empty
    foot = _row(_cells(total.model_copy(update={"key": "All"})), "th") if groups else ""
    return f"<table><thead>{_row(headers, 'th')}</thead><tbody>{body}</tbody><tfoot>{foot}</tfoot></table>"


def cost_section_html(cost: CostBreakdown) -> str:
    """`<h2>Cost breakdown</h2>` and its tables, to go into the executive report."""
    total = total_line(cost)
    estimate = (
        f" {fmt.number(cost.total.estimated_acus)} of the ACUs are estimated (marked est.): the API "
        f"reported no usage for those sessions, so they count one ACU per {fmt.number(cost.minutes_per_acu)} "
        "agent minutes, at most each session's ACU cap."
        if cost.total.estimated
        else " Every ACU figure is the usage the API reported."
    )
    note = (
        f"Cost is ACUs x ${cost.price_per_acu:,.2f}. An accepted fix is a pull request a reviewer "
        "approved (awaiting review or rejected ones are no fix); the cost per fix divides everything "
        f"spent (failed attempts and retries included) by the accepted fixes.{estimate}"
    )
    return (
        f"<h2>Cost breakdown</h2><p>{escape(total)}</p>"
        f"<h3>Per category</h3>{_table('Category', cost.by_category, cost.total)}"
        f"<h3>Per service</h3>{_table('Service', cost.by_service, cost.total)}"
        f'<p class="note">{escape(note)}</p>'
    )


def total_line(cost: CostBreakdown) -> str:
    """e.g. "412.5 ACUs ($928.13) over 180 sessions: 61 accepted fixes at $15.22 each"."""
    t = cost.total
    per_fix = f" at {_dollars(t.cost_per_accepted_fix)} each" if t.accepted_fixes else ""
    return (
        f"{_acus(t.acus, t.estimated)} ACUs ({_dollars(t.cost)}) over {t.sessions:,} sessions: "
        f"{t.accepted_fixes:,} accepted fixes{per_fix}"
    )
