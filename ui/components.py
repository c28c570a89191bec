"""Shared pieces of the pages: headers, status badges, empty states, links, metrics, messages.

Finding text, titles, reasons and messages come from uploaded files and people: they are shown
in dataframes or as escaped markdown (ui/markup.py), never as HTML."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
import streamlit as st

from engine.access.roles import Action
from engine.analytics import formatting as fmt
from engine.analytics.ops import Stat
from ui import action_guard, actions, context, loaders
from ui.markup import code, md  # the pages escape data as `c.md` and `c.code`

STATUS_ICONS: dict[str, str] = {
    "running": "🟢",
    "starting": "⏳",
    "queued": "📥",
    "pending": "🕓",
    "completed": "✅",
    "paused": "⏸️",
    "interrupted": "⏹️",
    "crashed": "💥",
    "failed": "❌",
    "failed to start": "⚠️",
    "damaged": "🩹",
}
STATUS_MATERIAL: dict[str, str] = {
    "running": ":material/autorenew:",
    "starting": ":material/hourglass_top:",
    "queued": ":material/queue:",
    "pending": ":material/schedule:",
    "completed": ":material/check_circle:",
    "paused": ":material/pause_circle:",
    "interrupted": ":material/stop_circle:",
    "crashed": ":material/error:",
    "failed": ":material/cancel:",
    "failed to start": ":material/warning:",
    "damaged": ":material/broken_image:",
}
STATUS_COLORS: dict[str, str] = {
    "running": "green",
    "starting": "blue",
    "queued": "blue",
    "pending": "gray",
    "completed": "green",
    "paused": "orange",
    "interrupted": "gray",
    "crashed": "red",
    "failed": "red",
    "failed to start": "red",
    "damaged": "red",
}
SEVERITY_ICONS: dict[str, str] = {"critical": "🔴", "high": "🟠", "medium": "🟡", "low": "🔵"}
SEVERITY_COLORS: dict[str, str] = {"critical": "red", "high": "orange", "medium": "yellow", "low": "blue"}
AGENT_TIME_HELP = (
    "Agent time: how long the agent worked, on the agent's clock. Simulated runs are scaled "
    "back to the time a real run would take."
)
NO_RUNS = "No runs yet — upload findings on **Launch** or start a demo run."


def status_label(status: str) -> str:
    return f"{STATUS_ICONS.get(status, '•')} {status}"


def run_choice(run_id: str, status: str) -> str:
    """A run in the sidebar's run picker: its status mark, then its id."""
    return f"{STATUS_ICONS.get(status, '•')} {run_id}"


def status_badge(status: str) -> None:
    st.badge(
        status,
        icon=STATUS_MATERIAL.get(status, ":material/help:"),
        color=STATUS_COLORS.get(status, "gray"),  # type: ignore[arg-type]
    )


def source_badge(data_source: str) -> None:
    """A run's or a session's data source: live, simulated, or (a run) hybrid."""
    if data_source == "hybrid":
        st.badge(
            "hybrid · live + simulated",
            icon=":material/call_split:",
            color="orange",
            help="Connected repositories go to the Devin API, the rest to the built-in simulator "
            "(CONNECTED_REPOS); each session says which.",
        )
    elif data_source == "live":
        st.badge("live · Devin API", icon=":material/cloud:", color="green")
    else:
        st.badge("simulated", icon=":material/science:", color="violet")


def page_header(title: str, icon: str, caption: str | None = None) -> None:
    st.title(title, anchor=False, icon=icon)
    if caption:
        st.caption(caption)


def run_caption(view: loaders.RunView) -> None:
    """Run id, status and data source under a page title."""
    with st.container(horizontal=True, vertical_alignment="center", gap="small"):
        st.markdown(f"Run {code(view.run_id)}", width="content")
        status_badge(view.status)
        source_badge(view.entry.data_source)
        if view.entry.source_file:
            st.caption(f"from {md(view.entry.source_file)}", width="content")


def flash() -> None:
    """Messages left by callbacks (which run before the page draws)."""
    for kind, text in action_guard.take_messages():
        if kind == "success":
            st.success(text, icon=":material/check_circle:")
        elif kind == "error":
            st.error(text, icon=":material/report:")
        elif kind == "warning":
            st.warning(text, icon=":material/warning:")
        else:
            st.info(text, icon=":material/info:")


def demo_button(key: str, primary: bool = True) -> None:
    if not context.allowed(Action.launch):  # hidden from viewers; actions.start_demo checks too
        return
    st.button(
        "Start demo run",
        key=key,
        icon=":material/play_circle:",
        type="primary" if primary else "secondary",
        on_click=actions.start_demo,
        args=(actions.demo_token(),),
        help="Runs the bundled sample findings (24) against the simulated Devin API at 50× speed.",
    )


def empty_state(key: str = "demo_empty") -> None:
    """The next step when there are no runs at all."""
    with st.container(border=True):
        st.markdown(f"### :material/rocket_launch: {NO_RUNS}")
        st.caption(
            "A demo run uses the bundled sample findings and the simulated Devin API, so it needs "
            "no API key and finishes in about half a minute."
        )
        with st.container(horizontal=True):
            demo_button(key)
            if context.allowed(Action.launch):
                st.page_link(context.LAUNCH, label="Upload findings", icon=":material/upload_file:")


def require_run(*, need_state: bool = True) -> loaders.RunView:
    """The selected run, or stop the page with the next step to take."""
    ctx = context.current()
    if ctx.run_id is None:
        empty_state()
        st.stop()
    view = ctx.view if ctx.view is not None and ctx.view.run_id == ctx.run_id else None
    view = view or loaders.run_view(ctx.runs_dir, ctx.run_id)
    if view is None:
        st.warning("The selected run is no longer in the runs folder. Pick another one in the sidebar.")
        st.stop()
    if view.damage is not None:
        run_caption(view)
        damaged_notice(view.damage)
        st.stop()
    if need_state and view.state is None:
        run_caption(view)
        st.info(
            f"Run {code(view.run_id)} has no data yet ({md(view.status)}). Its progress appears here as soon "
            "as its engine writes it; the Overview shows how the start is going.",
            icon=":material/hourglass_top:",
        )
        st.page_link(context.OVERVIEW, label="Open the Overview", icon=":material/dashboard:")
        st.stop()
    return view


def damaged_notice(damage: str) -> None:
    """A damaged run file: which one, how, and what to do; the other runs stay usable."""
    st.error(
        f"**This run cannot be shown.** {md(damage)} Pick another run in the sidebar.",
        icon=":material/broken_image:",
    )


def http_links(table: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """Only http(s) URLs survive; anything else (javascript:, data:, junk) becomes empty."""
    table = table.copy()
    for column in columns:
        if column in table:
            table[column] = table[column].map(_http_or_none)
    return table


def _http_or_none(value: object) -> str | None:
    if isinstance(value, str) and value.lower().startswith(("https://", "http://")):
        return value
    return None


def is_http(url: str | None) -> bool:
    return _http_or_none(url) is not None


def link_column(
    label: str, text: str, help: str | None = None, width: int = 80
) -> st.column_config.LinkColumn:
    return st.column_config.LinkColumn(label, display_text=text, help=help, width=width)


def viewer_timezone() -> str | None:
    """The browser's time zone (None in tests, or before the browser has told us)."""
    try:
        name = st.context.timezone
        ZoneInfo(name or "")
    except (ZoneInfoNotFoundError, ValueError, AttributeError):
        return None
    return name


# Column widths in pixels, for tables that must show every column at 1440 px (the main block is
# about 980 px wide there, 950 inside a container): a date and time, a duration, a link.
DATETIME_WIDTH = 150
# Taller than 64 px, the grid wraps long text (up to three lines) instead of cutting it short:
# for tables whose messages, titles or lessons matter in full.
WRAPPED_ROW_HEIGHT = 72
DURATION_WIDTH = 150


def datetime_column(
    label: str, help: str | None = None, width: int = DATETIME_WIDTH, short: bool = False
) -> st.column_config.DatetimeColumn:
    """`short`: "Dec 3, 10:18:27", for tables with many columns."""
    return st.column_config.DatetimeColumn(
        label,
        format="MMM D, HH:mm:ss" if short else "YYYY-MM-DD HH:mm:ss",
        timezone=viewer_timezone(),
        help=help,
        width=width,
    )


def duration_column(
    label: str = "Duration (agent time)", width: int = DURATION_WIDTH
) -> st.column_config.NumberColumn:
    # Minutes read better than seconds at a glance; the value stays numeric so it sorts.
    return st.column_config.NumberColumn(label, format="%.1f min", help=AGENT_TIME_HELP, width=width)


def rate_column(
    label: str, help: str | None = None, width: int | None = None
) -> st.column_config.ProgressColumn:
    return st.column_config.ProgressColumn(
        label, min_value=0.0, max_value=1.0, format="percent", help=help, width=width
    )


def minutes(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """Seconds -> minutes for display with `duration_column`."""
    table = table.copy()
    table[column] = table[column] / 60.0
    return table


def stat_metric(label: str, stat: Stat, render: Callable[[float | None], str], help: str) -> None:
    """A guarded statistic: "Not enough data" below the minimum sample, a marker when low."""
    if not stat.enough:
        st.metric(
            label,
            "Not enough data",
            help=f"{help} Needs at least 5 samples; {stat.samples} so far.",
            border=True,
        )
        return
    st.metric(
        label,
        render(stat.value),
        delta=f"low sample · n={stat.samples}" if stat.low_sample else f"n={stat.samples}",
        delta_color="orange" if stat.low_sample else "off",
        delta_arrow="off",
        help=help + (" Fewer than 20 samples: read with care." if stat.low_sample else ""),
        border=True,
    )


def when(ts: datetime | None) -> str:
    """A timestamp in the viewer's time zone (UTC when unknown), to the second."""
    if ts is None:
        return fmt.DASH
    tz = viewer_timezone()
    local = ts.astimezone(ZoneInfo(tz)) if tz else ts.astimezone(UTC)
    return local.strftime("%Y-%m-%d %H:%M:%S") + ("" if tz else " UTC")


def badge(text: object, color: str = "gray") -> None:
    """A badge whose label is data (a service name, a file name): escaped."""
    st.badge(md(text), color=color)  # type: ignore[arg-type]
