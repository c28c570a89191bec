"""One ledger entry on the Ledger page: its fields, state history, attempts, failed fixes and
risk acceptance, and the triage a reviewer can do on it.

The triage controls are drawn only for roles allowed to triage; the callbacks (ui/actions.py)
check again on the server, and engine.ledger.ops checks once more and writes the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from engine.access.roles import Action
from engine.analytics import formatting as fmt
from engine.analytics.ledger_view import entry_attempts, entry_history
from engine.core.models import DataSource, utcnow
from engine.ledger import LedgerEntry, LifecycleState
from ui import components as c
from ui import context, ledger_actions

S = LifecycleState
CLOSED = frozenset({S.verified_fixed, S.fixed})
REOPENABLE = frozenset({S.false_positive, S.risk_accepted, S.needs_human_review})
DEFAULT_RISK_DAYS = 90


def _fields(entry: LedgerEntry) -> pd.DataFrame:
    rows = {
        "Fingerprint": entry.fingerprint,
        "Category": fmt.category_label(entry.category.value),
        "Service": entry.service_name,
        "Repository": entry.repo_url,
        "File": entry.file_path,
        "Line": entry.line_number,
        "Dependency": entry.dependency_name,
        "CWE": entry.cwe_id,
        "Rule": entry.rule_id,
        "Scanners": ", ".join(entry.scanners),
        "First seen": c.when(entry.first_seen),
        "Last seen": c.when(entry.last_seen),
        "Seen in scans": entry.appearances,
        "Last scan": entry.last_scan_id,
        "Failed attempts": entry.failures,
        "Cooldown until": c.when(entry.cooldown_until) if entry.cooldown_until else None,
        "Pull request": entry.pr_url,
        "Note": entry.note,
    }
    return pd.DataFrame(
        [{"field": k, "value": str(v)} for k, v in rows.items() if v not in (None, "")],
        columns=["field", "value"],
    )


def _tabs(entry: LedgerEntry) -> None:
    attempts = entry_attempts(entry)
    history = entry_history(entry)
    tabs = st.tabs(
        [
            "Fields",
            f"History ({len(history)})",
            f"Attempts ({len(attempts)})",
            f"Failed fixes ({len(entry.failed_fixes)})",
            "Risk acceptance",
        ]
    )
    with tabs[0]:
        st.dataframe(
            _fields(entry),
            hide_index=True,
            key="ledger_detail_fields",
            column_config={"field": "Field", "value": st.column_config.TextColumn("Value", width=600)},
        )
    with tabs[1]:
        st.dataframe(
            history,
            hide_index=True,
            key="ledger_detail_history",
            column_config={
                "at": c.datetime_column("When"),
                "reason": st.column_config.TextColumn(width="large"),
            },
        )
    with tabs[2]:
        if attempts.empty:
            st.caption("No agent session has worked on this finding yet.")
        else:
            st.dataframe(
                c.http_links(attempts, ["pr_url"]),
                hide_index=True,
                key="ledger_detail_attempts",
                column_config={
                    "started_at": c.datetime_column("Started"),
                    "ended_at": c.datetime_column("Ended"),
                    "pr_url": c.link_column("PR", "Open PR"),
                },
            )
    with tabs[3]:
        if not entry.failed_fixes:
            st.caption("No failed fixes: no merged pull request of ours was followed by this finding again.")
        else:
            fixes = pd.DataFrame([f.model_dump() for f in entry.failed_fixes])
            st.dataframe(
                c.http_links(fixes, ["pr_url"]),
                hide_index=True,
                key="ledger_detail_failed",
                column_config={
                    "pr_url": c.link_column("PR", "Open PR"),
                    "detected_at": c.datetime_column("Detected"),
                },
            )
    with tabs[4]:
        risk = entry.risk
        if risk is None:
            st.caption("The risk is not accepted.")
        else:
            st.markdown(
                f"Accepted by **{c.md(risk.accepted_by)}** {c.when(risk.accepted_at)}, owner "
                f"**{c.md(risk.owner)}**, until **{c.when(risk.expires_at)}**."
            )
            st.markdown(f"Reason: {c.md(risk.reason)}")


def _triage(entry: LedgerEntry, source: DataSource) -> None:
    fp = entry.fingerprint

    def key(field: str) -> str:
        return ledger_actions.triage_key(field, source, fp)

    forms = []
    if entry.state not in CLOSED | {S.false_positive}:
        forms.append("fp")
    if entry.state not in CLOSED | {S.false_positive, S.risk_accepted}:
        forms.append("risk")
    if entry.state in REOPENABLE:
        forms.append("reopen")
    if entry.state == S.pr_open:
        forms.append("pr")
    if not forms:
        st.caption("Nothing to decide: this finding is closed. A later scan reopens it if it comes back.")
        return
    for column, form in zip(st.columns(len(forms)), forms, strict=True):
        with column:
            if form == "fp":
                with st.form(key=f"ledger_fp_form::{source}::{fp}"):
                    st.text_input("Why is it a false positive?", key=key("fp_reason"), max_chars=2000)
                    st.form_submit_button(
                        "Mark false positive",
                        key=f"ledger_fp::{fp}",
                        icon=":material/block:",
                        on_click=ledger_actions.mark_false_positive,
                        args=(source, fp),
                    )
            elif form == "risk":
                today = utcnow().date()
                with st.form(key=f"ledger_risk_form::{source}::{fp}"):
                    st.text_input("Risk owner", key=key("risk_owner"), max_chars=200)
                    st.text_input("Why accept the risk?", key=key("risk_reason"), max_chars=2000)
                    st.date_input(
                        "Accepted until (UTC)",
                        value=today + timedelta(days=DEFAULT_RISK_DAYS),
                        min_value=today + timedelta(days=1),
                        key=key("risk_expiry"),
                        help="The acceptance ends at the end of that day; the finding then returns to work.",
                    )
                    st.form_submit_button(
                        "Accept risk",
                        key=f"ledger_risk::{fp}",
                        icon=":material/verified_user:",
                        on_click=ledger_actions.accept_risk,
                        args=(source, fp),
                    )
            elif form == "reopen":
                with st.form(key=f"ledger_reopen_form::{source}::{fp}"):
                    st.text_input("Why reopen it?", key=key("reopen_reason"), max_chars=2000)
                    st.form_submit_button(
                        "Reopen",
                        key=f"ledger_reopen::{fp}",
                        icon=":material/undo:",
                        on_click=ledger_actions.reopen,
                        args=(source, fp),
                    )
            else:
                with st.container(border=True):
                    st.caption("Record what became of the pull request when the Git host cannot be asked.")
                    for state, label, icon in (
                        ("merged", "Mark PR merged", ":material/merge:"),
                        ("closed", "Mark PR closed", ":material/close:"),
                    ):
                        st.button(
                            label,
                            key=f"ledger_pr_{state}::{fp}",
                            icon=icon,
                            on_click=ledger_actions.set_pull_request,
                            args=(source, fp, state),
                        )


def show(entry: LedgerEntry, row: pd.Series, source: DataSource) -> None:
    """The detail of one entry; `row` is its row of the ledger table (state, SLA, days left)."""
    with st.container(border=True, key="ledger_detail_card"):
        top = st.container(horizontal=True, vertical_alignment="center", gap="small")
        top.markdown(f"**{c.md(entry.title)}**", width="content")
        top.badge(fmt.label(str(row["state"])), color="violet")
        top.badge(
            entry.severity.value.capitalize(), color=c.SEVERITY_COLORS.get(entry.severity.value, "gray")
        )  # type: ignore[arg-type]
        with top:
            c.badge(entry.service_name, "blue")
        cols = st.columns(4)
        days_left = row["days_left"]
        cols[0].metric("SLA", fmt.label(str(row["sla"])), border=True)
        cols[1].metric("Days left", "—" if pd.isna(days_left) else f"{days_left:.1f}", border=True)
        cols[2].metric("Attempts", int(row["attempts"]), border=True)
        cols[3].metric("Failed fixes", len(entry.failed_fixes), border=True)
        if c.is_http(entry.pr_url):
            st.link_button("Open PR", entry.pr_url, icon=":material/open_in_new:")  # type: ignore[arg-type]
        _tabs(entry)
        st.markdown("**Decide**")
        if context.allowed(Action.triage):
            _triage(entry, source)
        else:
            st.caption(
                "Reviewers and admins can mark a false positive, accept a risk, reopen a finding or "
                "record a pull request's outcome here."
            )
