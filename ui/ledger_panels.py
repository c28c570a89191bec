"""The Ledger page's overview parts: data source switch, empty state, headline numbers, the SLA
panel, objective progress and the filterable table of every finding.

Titles and other finding text come from scanner files: they are shown in dataframes or as
escaped markdown (`c.md`), never as HTML; only http(s) pull request URLs become links."""

from __future__ import annotations

import functools

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from engine.access.roles import Action
from engine.analytics import formatting as fmt
from engine.analytics.ledger_view import STATE_ORDER, LedgerOverview
from engine.core.models import DataSource
from engine.ledger.ops import default_data_source
from engine.policy.states import OPEN_STATES
from engine.settings.environment import Settings
from ui import charts, context, ledger_actions
from ui import components as c

SLA_STATES = ["breached", "at_risk", "on_track", "met", "n/a"]
SLA_COLORS = {"breached": "#EF4444", "at_risk": "#F59E0B", "on_track": "#0EA5E9", "met": "#10B981"}
DETAIL_KEY = "ledger_detail"
TABLE_KEY = "ledger_table"
COLUMNS = [
    "fingerprint",
    "state",
    "severity",
    "category",
    "service_name",
    "title",
    "location",
    "sla",
    "days_left",
    "due_at",
    "age_days",
    "attempts",
    "pr_url",
    "appearances",
    "failed_fixes",
    "last_seen",
    "first_seen",
    "risk_expires",
    "cooldown_until",
    "scanners",
    "note",
]
# What the table shows at 1440 px without scrolling sideways; a selected row opens every field
# of the finding below.
SHOWN = [
    "fingerprint",
    "state",
    "severity",
    "category",
    "service_name",
    "title",
    "sla",
    "days_left",
    "pr_url",
]


def source_switch(settings: Settings) -> DataSource:
    """Which ledger to show: live or simulated (the live one by default once a key is set)."""
    chosen = st.segmented_control(
        "Data source",
        list(ledger_actions.DATA_SOURCES),
        default=default_data_source(settings),
        key=ledger_actions.LEDGER_SOURCE_KEY,
        required=True,
        format_func={"live": "Live (Devin API)", "simulated": "Simulated"}.get,
        help="One ledger per data source, so simulated outcomes never block real work.",
    )
    return chosen if chosen in ledger_actions.DATA_SOURCES else default_data_source(settings)  # type: ignore[return-value]


def empty_state(source: DataSource, other: DataSource, other_count: int) -> None:
    with st.container(border=True, key="ledger_empty"):
        st.markdown(f"### :material/inventory_2: The {source} ledger is empty")
        st.markdown(
            "The ledger is Patchwave's memory of every finding across scans and runs: where it was "
            "seen, the agent sessions that worked on it, their pull requests, fixes that did not hold "
            "and human decisions (false positive, accepted risk). Later runs use it so they neither "
            "redo nor forget work."
        )
        st.caption(
            "It fills in two ways: **launch a run** (each run records its findings file here), or "
            "**import a scan** below (records the scan without running anything). A later scan of "
            "the same repository confirms what was fixed."
        )
        if other_count:
            st.info(
                f"The {other} ledger has {other_count:,} finding(s): switch the data source above.",
                icon=":material/swap_horiz:",
            )
        if context.allowed(Action.launch):
            st.page_link(context.LAUNCH, label="Launch a run", icon=":material/rocket_launch:")


def headline(overview: LedgerOverview) -> None:
    open_count = sum(n for state, n in overview.by_state.items() if state in set(OPEN_STATES))
    cols = st.columns(5)
    cols[0].metric("Findings known", f"{overview.findings:,}", border=True)
    cols[1].metric("Open", f"{open_count:,}", border=True, help="Not yet fixed and not triaged away.")
    cols[2].metric("SLA breached", f"{overview.sla_breached:,}", border=True)
    cols[3].metric("SLA at risk", f"{overview.sla_at_risk:,}", border=True)
    cols[4].metric(
        "Verified fixed",
        f"{overview.by_state.get('verified_fixed', 0):,}",
        border=True,
        help="A merged pull request, then absent from a later scan.",
    )
    last = c.when(overview.last_import) if overview.last_import else "never"
    states = " · ".join(f"{n:,} {_in_sentence(fmt.label(state))}" for state, n in overview.by_state.items())
    scans = f"{overview.scans:,} scan{'' if overview.scans == 1 else 's'}"
    st.caption(f"{scans} imported, the last {last}. By state: {states}.")


def sla_figure(overview: LedgerOverview) -> go.Figure:
    counts = {
        "breached": overview.sla_breached,
        "at_risk": overview.sla_at_risk,
        "on_track": overview.sla_on_track,
        "met": overview.sla_met,
    }
    figure = go.Figure(
        go.Bar(
            x=list(counts.values()),
            y=[state.replace("_", " ") for state in counts],
            orientation="h",
            marker_color=[SLA_COLORS[state] for state in counts],
            text=list(counts.values()),
            hovertemplate="%{y}: %{x}<extra></extra>",
        )
    )
    figure.update_layout(
        height=220,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        yaxis={"autorange": "reversed"},
        xaxis={"title": "findings", "rangemode": "tozero"},
    )
    return figure


def sla_panel(overview: LedgerOverview) -> None:
    st.subheader("SLA", anchor=False)
    charts.show(sla_figure(overview), key="ledger_sla_chart")
    st.caption(
        "The clock starts when a finding is first seen; days per severity come from the policy. "
        "Risk-accepted findings are left out while the acceptance lasts."
    )


def _in_sentence(label: str) -> str:
    """ "New" -> "new" mid-sentence; "PR open" keeps its acronym."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


def objectives_panel(overview: LedgerOverview) -> None:
    st.subheader("Objectives", anchor=False)
    if not overview.objectives:
        st.caption(
            "No active objectives. An objective is a goal with a date, for instance *no critical "
            "findings left by the end of the quarter*, or *at most 20 open high findings in "
            "payment-service*; its findings then rank higher. Admins set them on the Policy page."
        )
        if context.allowed(Action.change_settings):
            st.page_link(context.POLICY, label="Open the Policy page", icon=":material/gavel:")
        return
    for title, progress in overview.objectives:
        title = title or progress.objective_id  # an objective without a title goes by its id
        done = " · met :material/check_circle:" if progress.met else ""
        st.progress(
            min(max(progress.pct / 100, 0.0), 1.0),
            text=f"**{c.md(title)}**: {progress.current:,} open / target {progress.target:,}{done}",
        )
        source = "configured" if progress.baseline_source == "configured" else "at the first import"
        st.caption(f"Baseline {progress.baseline:,} ({source}); {progress.pct:g}% of the way.")


def filter_ledger(
    table: pd.DataFrame,
    states: list[str],
    severities: list[str],
    services: list[str],
    slas: list[str],
    title: str,
) -> pd.DataFrame:
    """The rows matching every filter given (an empty filter matches everything)."""
    mask = pd.Series(True, index=table.index)
    for column, chosen in (
        ("state", states),
        ("severity", severities),
        ("service_name", services),
        ("sla", slas),
    ):
        if chosen:
            mask &= table[column].isin(chosen)
    if title.strip():
        mask &= table["title"].str.contains(title.strip(), case=False, regex=False, na=False)
    return table[mask]


def _present(table: pd.DataFrame, column: str, order: list[str] | None = None) -> list[str]:
    values = set(table[column].dropna())
    if order:
        return [v for v in order if v in values] + sorted(values - set(order))
    return sorted(values)


def filters(table: pd.DataFrame) -> pd.DataFrame:
    with st.container(horizontal=True, key="ledger_filters"):
        states = st.multiselect(
            "State", _present(table, "state", STATE_ORDER), key="ledger_state", placeholder="All"
        )
        severities = st.multiselect(
            "Severity",
            _present(table, "severity", list(c.SEVERITY_ICONS)),
            key="ledger_severity",
            placeholder="All",
        )
        services = st.multiselect(
            "Service", _present(table, "service_name"), key="ledger_service", placeholder="All"
        )
        slas = st.multiselect("SLA", _present(table, "sla", SLA_STATES), key="ledger_sla", placeholder="All")
        title = st.text_input("Title contains", key="ledger_title", placeholder="Search titles")
    return filter_ledger(table, states, severities, services, slas, title or "")


def _pick_row(fingerprints: list[str]) -> None:
    """A row selected in the table opens that finding in the detail view."""
    selection = st.session_state.get(TABLE_KEY)
    rows = selection.selection.rows if selection is not None else []
    if rows and 0 <= rows[0] < len(fingerprints):
        st.session_state[DETAIL_KEY] = fingerprints[rows[0]]


def findings_table(shown: pd.DataFrame, total: int) -> None:
    st.caption(
        f"Showing **{len(shown):,}** of {total:,} findings, most urgent first. Select a row to open it."
    )
    table = c.http_links(shown, ["pr_url"])
    table["severity"] = table["severity"].map(lambda s: f"{c.SEVERITY_ICONS.get(s, '')} {s}")
    for column in ("state", "category", "sla"):
        table[column] = table[column].map(fmt.label)
    st.dataframe(
        table,
        hide_index=True,
        column_order=SHOWN,
        key=TABLE_KEY,
        on_select=functools.partial(_pick_row, list(shown["fingerprint"])),
        selection_mode="single-row",
        column_config={
            "fingerprint": st.column_config.TextColumn(
                "Fingerprint", width=165, help="Select the row for the whole fingerprint and every field."
            ),
            "state": st.column_config.TextColumn("State", width=100),
            "severity": st.column_config.TextColumn("Severity", width=85),
            "category": st.column_config.TextColumn("Category", width=110),
            "service_name": st.column_config.TextColumn("Service", width=95),
            "title": st.column_config.TextColumn(
                "Title", width=130, help="Click a cell for the whole title."
            ),
            "location": "Location",
            "sla": st.column_config.TextColumn(
                "SLA", width=80, help="On track, at risk, breached, met; n/a: risk accepted."
            ),
            "days_left": st.column_config.NumberColumn(
                "Days left", format="%.1f", width=75, help="Negative: past due."
            ),
            "due_at": c.datetime_column("Due"),
            "age_days": st.column_config.NumberColumn("Age (days)", format="%.1f"),
            "attempts": st.column_config.NumberColumn("Attempts", width="small"),
            "pr_url": c.link_column("PR", "Open", "The agent's pull request.", width=55),
            "appearances": st.column_config.NumberColumn("Scans seen in", width="small"),
            "failed_fixes": st.column_config.NumberColumn("Failed fixes", width="small"),
            "last_seen": c.datetime_column("Last seen"),
            "first_seen": c.datetime_column("First seen"),
            "risk_expires": c.datetime_column("Risk accepted until"),
            "cooldown_until": c.datetime_column("Cooldown until"),
            "scanners": "Scanners",
            "note": st.column_config.TextColumn("Note"),
        },
    )
