"""Button callbacks of the Ledger page: triage, pull request states, scan imports and pull
request sync. Each checks the caller's role first (ui.action_guard.permitted); engine.ledger.ops
checks it again and writes the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import TypeVar

import requests
import streamlit as st
from filelock import Timeout

from engine.access.roles import Action, Identity
from engine.core.errors import BadInputError
from engine.core.models import DataSource, utcnow
from engine.core.sources import SourceDefaults
from engine.ledger import ops as ledger_ops
from engine.settings.environment import Settings
from ui.action_guard import permitted, say
from ui.markup import code, md

T = TypeVar("T")

# --- the findings ledger ---------------------------------------------------------------------
# engine.ledger.ops checks the role again and writes the audit trail itself: these callbacks
# check first (so a refusal is said plainly) and never audit a second time.

LEDGER_SOURCE_KEY = "ledger_source"
LEDGER_UPLOAD_KEY = "ledger_import_upload"
LEDGER_SERVICE_KEY = "ledger_import_service"
LEDGER_REPO_KEY = "ledger_import_repo"
LEDGER_IMPORT_RESULT_KEY = "_pw_ledger_import_result"  # (data source, file name, ScanImportResult)
LEDGER_SYNC_RESULT_KEY = "_pw_ledger_sync_result"  # (data source, {fingerprint: answer})
DATA_SOURCES: tuple[DataSource, ...] = ("live", "simulated")
PR_STATES = ("open", "merged", "closed")


def triage_key(field: str, data_source: str, fingerprint: str) -> str:
    """The key of one triage input (reason, owner, expiry...) of one ledger entry."""
    return f"ledger_{field}::{data_source}::{fingerprint}"


def _typed_text(key: str) -> str:
    value = st.session_state.get(key)
    return value.strip() if isinstance(value, str) else ""


def _source_of(value: str) -> DataSource | None:
    if value in DATA_SOURCES:
        return value  # type: ignore[return-value]
    say("error", f"There is no {code(value)} ledger: use live or simulated.")
    return None


def _ledger_call(failed: str, call: Callable[[], T]) -> tuple[bool, T | None]:
    """Runs one engine.ledger.ops call; on failure says `failed` and the engine's reason."""
    try:
        return True, call()
    except BadInputError as exc:
        say("error", f"{failed}: {md(exc)}")
    except (OSError, Timeout) as exc:
        say("error", f"{failed}: the ledger or the audit trail could not be written ({md(exc)}).")
    return False, None


def _start(action: Action, data_source: str) -> tuple[Settings, Identity, DataSource] | None:
    """The settings, the caller and the ledger, when the caller may do `action` on it."""
    allowed = permitted(action)
    if allowed is None:
        return None
    source = _source_of(data_source)
    return None if source is None else (*allowed, source)


def mark_false_positive(data_source: str, fingerprint: str) -> None:
    start = _start(Action.triage, data_source)
    if start is None:
        return
    s, who, source = start
    reason = _typed_text(triage_key("fp_reason", source, fingerprint))
    if not reason:
        say("error", "Not marked as a false positive: say why (the reason is required).")
        return
    done, _ = _ledger_call(
        "Not marked as a false positive",
        lambda: ledger_ops.mark_false_positive_as(s, who, source, fingerprint, reason),
    )
    if done:
        say("success", f"Marked {code(fingerprint)} a false positive; runs no longer dispatch it.")


def accept_risk(data_source: str, fingerprint: str) -> None:
    start = _start(Action.triage, data_source)
    if start is None:
        return
    s, who, source = start
    owner = _typed_text(triage_key("risk_owner", source, fingerprint))
    reason = _typed_text(triage_key("risk_reason", source, fingerprint))
    expiry = st.session_state.get(triage_key("risk_expiry", source, fingerprint))
    if not owner or not reason:
        say("error", "Risk not accepted: it needs an owner and a reason.")
        return
    if not isinstance(expiry, date):
        say("error", "Risk not accepted: pick the date the acceptance expires.")
        return
    if expiry <= utcnow().date():
        say("error", f"Risk not accepted: the expiry date {expiry.isoformat()} must be in the future.")
        return
    expires_at = datetime.combine(expiry, time(23, 59, 59), tzinfo=UTC)  # to the end of that day
    done, _ = _ledger_call(
        "Risk not accepted",
        lambda: ledger_ops.accept_risk_as(
            s, who, source, fingerprint, owner=owner, reason=reason, expires_at=expires_at
        ),
    )
    if done:
        say("success", f"Risk accepted for {code(fingerprint)} until {expiry.isoformat()} (UTC).")


def reopen(data_source: str, fingerprint: str) -> None:
    start = _start(Action.triage, data_source)
    if start is None:
        return
    s, who, source = start
    reason = _typed_text(triage_key("reopen_reason", source, fingerprint))
    if not reason:
        say("error", "Not reopened: say why (the reason is required).")
        return
    done, _ = _ledger_call("Not reopened", lambda: ledger_ops.reopen_as(s, who, source, fingerprint, reason))
    if done:
        say("success", f"Reopened {code(fingerprint)}: it is back in the work queue as recurring.")


def set_pull_request(data_source: str, fingerprint: str, state: str) -> None:
    """A reviewer records what became of a pull request the Git host cannot tell us about."""
    start = _start(Action.triage, data_source)
    if start is None:
        return
    s, who, source = start
    if state not in PR_STATES:
        say("error", f"A pull request is open, merged or closed, not {code(state)}.")
        return
    done, changed = _ledger_call(
        "Pull request state not recorded",
        lambda: ledger_ops.set_pull_request_as(s, who, source, fingerprint, state),  # type: ignore[arg-type]
    )
    if done and changed:
        say("success", f"Recorded the pull request of {code(fingerprint)} as {state}.")
    elif done:
        say("info", f"The ledger already had the pull request of {code(fingerprint)} as {state}.")


def import_scan(data_source: str) -> None:
    """Records the uploaded scan in the ledger (nothing runs); importing it again changes nothing."""
    st.session_state.pop(LEDGER_IMPORT_RESULT_KEY, None)
    start = _start(Action.import_scan, data_source)
    if start is None:
        return
    s, who, source = start
    upload = st.session_state.get(LEDGER_UPLOAD_KEY)
    if upload is None:
        say("error", "Choose a scan file to import first.")
        return
    defaults = SourceDefaults(_typed_text(LEDGER_SERVICE_KEY), _typed_text(LEDGER_REPO_KEY))
    done, result = _ledger_call(
        f"{code(upload.name)} was not imported",
        lambda: ledger_ops.import_scan_bytes(
            s, who, upload.getvalue(), upload.name, data_source=source, defaults=defaults
        ),
    )
    if not done or result is None:
        return
    st.session_state[LEDGER_IMPORT_RESULT_KEY] = (source, upload.name, result)
    summary = result.summary
    if summary.already_imported:
        say(
            "info",
            f"{code(upload.name)} was imported before (scan {code(summary.scan_id)}); nothing changed.",
        )
        return
    counts = ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in summary.counts.items())
    say("success", f"Imported {code(upload.name)} into the {source} ledger: {counts}.")


def sync_pull_requests(data_source: str) -> None:
    """Asks the Git host what became of every open pull request in the ledger."""
    st.session_state.pop(LEDGER_SYNC_RESULT_KEY, None)
    start = _start(Action.import_scan, data_source)
    if start is None:
        return
    s, who, source = start
    try:
        answers = ledger_ops.sync_pull_requests_from_git(s, who, source)
    except (BadInputError, requests.RequestException) as exc:
        say("error", f"Pull requests not synced: {md(exc)}")
        return
    except (OSError, Timeout) as exc:
        say(
            "error",
            f"Pull requests not synced: the ledger or the audit trail could not be written ({md(exc)}).",
        )
        return
    st.session_state[LEDGER_SYNC_RESULT_KEY] = (source, answers)
    if not answers:
        say("info", f"The {source} ledger has no open pull requests to ask about.")
        return
    tally = {state: sum(1 for a in answers.values() if a == state) for state in PR_STATES}
    failed = sum(1 for a in answers.values() if a.startswith("error"))
    text = (
        f"Asked the Git host about {len(answers)} pull request(s): {tally['merged']} merged, "
        f"{tally['closed']} closed without merging, {tally['open']} still open"
    )
    if failed:
        say("warning", f"{text}; {failed} could not be read (the table below says why).")
    else:
        say("success", f"{text}.")
