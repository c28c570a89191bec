"""The Ledger page's operator tools: import a scan into the ledger, and ask the Git host what
became of the open pull requests. Drawn only for operators and up; the callbacks check again."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from engine.access.roles import Action
from engine.core.models import DataSource
from engine.ingest import IngestLimits
from engine.ingest.limits import byte_size
from engine.ledger import Ledger
from engine.ledger.ops import ScanImportResult
from engine.settings.environment import Settings
from ui import components as c
from ui import context, ledger_actions

SCAN_TYPES = ["csv", "json", "sarif"]


def _import_result(name: str, result: ScanImportResult) -> None:
    summary = result.summary
    report = result.report
    st.markdown(f"**Last import:** {c.md(name)} (scan {c.code(summary.scan_id)})")
    if summary.already_imported:
        st.caption("This exact file was imported before; the ledger did not change.")
        return
    labels = {"verified_fixed": "Verified fixed"}
    cols = st.columns(len(summary.counts))
    for col, (what, n) in zip(cols, summary.counts.items(), strict=True):
        col.metric(labels.get(what, what.replace("_", " ").capitalize()), f"{n:,}", border=True)
    notes = [
        f"{report.total_rows:,} rows read, {report.accepted:,} findings accepted, "
        f"{report.rejected_rows:,} rows rejected"
    ]
    if result.expired_risks:
        notes.append(f"{len(result.expired_risks):,} accepted risk(s) expired and returned to work")
    if result.alerts:
        notes.append("alerts sent: " + "; ".join(c.md(a.title) for a in result.alerts))
    st.caption(". ".join(notes) + ".")


def import_expander(source: DataSource, settings: Settings) -> None:
    if not context.allowed(Action.import_scan):
        return
    last = st.session_state.get(ledger_actions.LEDGER_IMPORT_RESULT_KEY)
    last = last if last is not None and last[0] == source else None
    limit = IngestLimits.from_settings(settings).max_upload_bytes
    with st.expander(
        "Import a scan into the ledger", icon=":material/upload_file:", expanded=last is not None
    ):
        st.caption(
            "Records a scan without running anything: new findings are added, known ones updated, "
            "and findings of the same repository and scanner that this scan no longer reports are "
            "closed as fixed (verified fixed after a merged pull request). Importing the same file "
            "again changes nothing."
        )
        upload = st.file_uploader(
            "Scan file (CSV, scanner JSON or SARIF)",
            type=SCAN_TYPES,
            key=ledger_actions.LEDGER_UPLOAD_KEY,
            max_upload_size=max(1, math.ceil(limit / (1024 * 1024))),
            help=f"Patchwave's findings CSV, or a scanner's JSON or SARIF output. Up to {byte_size(limit)}.",
        )
        cols = st.columns(2)
        cols[0].text_input(
            "Service",
            key=ledger_actions.LEDGER_SERVICE_KEY,
            placeholder="e.g. payment-service",
            help="For findings whose file names no service (most scanner output does not).",
        )
        cols[1].text_input(
            "Repository URL",
            key=ledger_actions.LEDGER_REPO_KEY,
            placeholder="https://github.com/acme/payment-service",
            help="For findings whose file names no repository.",
        )
        st.button(
            f"Import into the {source} ledger",
            key="ledger_import",
            type="primary",
            icon=":material/upload:",
            disabled=upload is None,
            on_click=ledger_actions.import_scan,
            args=(source,),
        )
        if last is not None:
            _import_result(last[1], last[2])


def sync_button(source: DataSource, ledger: Ledger, settings: Settings) -> None:
    if not context.allowed(Action.import_scan):
        return
    waiting = sum(1 for e in ledger.entries.values() if e.state.value == "pr_open" and e.pr_url)
    st.button(
        "Sync pull requests",
        key="ledger_sync",
        icon=":material/sync:",
        on_click=ledger_actions.sync_pull_requests,
        args=(source,),
        help=f"Asks the Git host ({c.code(settings.git_api_base_url)}) whether each of the {waiting} "
        "open pull request(s) was merged or closed, and records the answers.",
    )


def sync_results(source: DataSource, ledger: Ledger) -> None:
    last = st.session_state.get(ledger_actions.LEDGER_SYNC_RESULT_KEY)
    if last is None or last[0] != source or not last[1]:
        return
    rows = [
        {
            "fingerprint": fp,
            "title": ledger.entries[fp].title if fp in ledger.entries else "",
            "pr_url": ledger.entries[fp].pr_url if fp in ledger.entries else None,
            "answer": answer,
        }
        for fp, answer in last[1].items()
    ]
    with st.expander(f"Pull request sync ({len(rows)})", icon=":material/sync:", expanded=True):
        st.dataframe(
            c.http_links(pd.DataFrame(rows), ["pr_url"]),
            hide_index=True,
            key="ledger_sync_results",
            column_config={
                "fingerprint": "Fingerprint",
                "title": st.column_config.TextColumn("Title", width="large"),
                "pr_url": c.link_column("PR", "Open PR"),
                "answer": st.column_config.TextColumn(
                    "Answer", help="merged, closed, open, or why the Git host could not say."
                ),
            },
        )
