"""Button callbacks: every change to a run goes through engine.control or engine.reviews.

Callbacks run before the page is drawn, so they report back through `say` and the page shows
the message (`components.flash`). Launches are idempotent: a run id is chosen once per upload
(or per demo button drawing) and `launch_detached` with the same id finds the run instead of
starting it again, so a rerun, a double click or a second tab never starts a run twice.

Every callback checks the caller's role on the server (`_authorize`, engine.access) before it
acts, and records what it did in the audit trail (engine.audit) after it succeeded. Hiding a
button is only a courtesy; this check is what protects."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Literal, TypeVar

import requests
import streamlit as st
from filelock import Timeout
from pydantic import ValidationError

from engine import control, ledger_ops
from engine.access import Action, Identity, require
from engine.audit import record_audit
from engine.errors import BadInputError, PermissionDeniedError
from engine.models import DataSource, RunStatus, utcnow
from engine.policy import load_policy, load_services
from engine.policy import save_policy as write_policy
from engine.policy import save_services as write_services
from engine.reviews import record_review
from engine.runs.paths import RunPaths, new_run_id
from engine.settings import Settings, describe_invalid_settings, load_settings
from engine.settings_file import EDITABLE, origins, save_settings
from engine.sources import SourceDefaults
from ui import context, identity, loaders, policy_forms

_MESSAGES_KEY = "_pw_messages"
_DEMO_TOKEN_KEY = "_pw_demo_token"
_LAUNCH_TOKENS_KEY = "_pw_launch_tokens"  # upload file_id -> run id
LAUNCH_ERROR_KEY = "_pw_launch_error"

UPLOAD_KEY = "launch_upload"
WAVE_SIZE_KEY = "launch_wave_size"
MAX_PARALLEL_KEY = "launch_max_parallel"
MODE_KEY = "launch_mode"
SPEED_KEY = "launch_speed"
SEED_KEY = "launch_seed"
SOURCE_SERVICE_KEY = "launch_service"
SOURCE_REPO_KEY = "launch_repo"
USE_LEDGER_KEY = "launch_use_ledger"

Kind = Literal["success", "error", "warning", "info"]
T = TypeVar("T")


def say(kind: Kind, text: str) -> None:
    st.session_state.setdefault(_MESSAGES_KEY, []).append((kind, text))


def take_messages() -> list[tuple[Kind, str]]:
    return st.session_state.pop(_MESSAGES_KEY, [])


def _settings(**overrides: object) -> Settings | None:
    try:
        return load_settings(**overrides)
    except ValidationError as exc:
        problems = describe_invalid_settings(exc)
        say("error", f"Invalid setting: {problems}")
        return None
    except BadInputError as exc:  # an unreadable settings file
        say("error", f"Invalid setting: {exc}")
        return None


def _authorize(s: Settings, action: Action) -> Identity | None:
    """The caller, when allowed to do `action`; otherwise says why not and returns None."""
    try:
        who = identity.resolve(s)
    except BadInputError as exc:
        say("error", f"Access roles could not be read: {exc}")
        return None
    if who is None:
        say("error", f"Sign in to {action.value}.")
        return None
    try:
        require(who, action)
    except PermissionDeniedError as exc:
        say("error", f"Not allowed: {exc}.")
        return None
    return who


def _permitted(action: Action, **overrides: object) -> tuple[Settings, Identity] | None:
    """The settings and the caller, when the caller may do `action`; otherwise None, with the
    reason said. Every action starts here: the server-side check hidden buttons rely on."""
    s = _settings(**overrides)
    if s is None:
        return None
    who = _authorize(s, action)
    return None if who is None else (s, who)


def _audit(s: Settings, who: Identity, action: Action, target: str, details: dict[str, object]) -> None:
    try:
        record_audit(context.runs_dir_of(s), who, action, target, details)
    except (OSError, Timeout) as exc:
        say("warning", f"Done, but the audit trail could not be written: {exc}")


# --- demo ----------------------------------------------------------------------------------------


def demo_token() -> str:
    """The run id the demo button will use; a new one only after a demo actually started."""
    if _DEMO_TOKEN_KEY not in st.session_state:
        st.session_state[_DEMO_TOKEN_KEY] = f"demo-{new_run_id()}"
    return st.session_state[_DEMO_TOKEN_KEY]


def start_demo(run_id: str) -> None:
    allowed = _permitted(Action.launch)
    if allowed is None:
        return
    s, who = allowed
    try:
        boot = control.launch_demo(s, run_id)
    except BadInputError as exc:
        say("error", f"The demo run could not start: {exc}")
        return
    st.session_state[_DEMO_TOKEN_KEY] = f"demo-{new_run_id()}"
    if boot.status == "failed_to_spawn":
        say("error", f"The demo run's engine failed to start: {boot.error}")
        return
    _audit(s, who, Action.launch, run_id, {"demo": True, "mode": "simulated"})
    say("success", f"Demo run `{run_id}` started.")
    context.go_to_run(run_id)


# --- launch an upload ------------------------------------------------------------------------


def launch_token(file_id: str) -> str:
    tokens = st.session_state.setdefault(_LAUNCH_TOKENS_KEY, {})
    if file_id not in tokens:
        tokens[file_id] = new_run_id()
    return tokens[file_id]


def new_launch_token(file_id: str) -> None:
    """ "Launch again as a new run": the next launch of this upload gets a fresh id."""
    st.session_state.setdefault(_LAUNCH_TOKENS_KEY, {})[file_id] = new_run_id()
    st.session_state.pop(LAUNCH_ERROR_KEY, None)


def launched_run(file_id: str, runs: set[str]) -> str | None:
    """The run this upload was already launched as, if any."""
    run_id = st.session_state.get(_LAUNCH_TOKENS_KEY, {}).get(file_id)
    return run_id if run_id in runs else None


def launch_upload(file_id: str) -> None:
    st.session_state.pop(LAUNCH_ERROR_KEY, None)
    upload = st.session_state.get(UPLOAD_KEY)
    if upload is None or upload.file_id != file_id:
        st.session_state[LAUNCH_ERROR_KEY] = "The uploaded file is gone; upload it again."
        return
    ss = st.session_state
    mode = "live" if ss.get(MODE_KEY) == "live" else "simulated"
    allowed = _permitted(
        Action.launch, wave_size=ss.get(WAVE_SIZE_KEY), max_parallel_sessions=ss.get(MAX_PARALLEL_KEY)
    )
    if allowed is None:
        return
    s, who = allowed
    if mode == "live" and s.api_key is None:  # the widget hides it, but re-check on the server
        st.session_state[LAUNCH_ERROR_KEY] = "Live mode needs DEVIN_API_KEY, which is not configured."
        return
    speed = 1.0 if mode == "live" else float(ss.get(SPEED_KEY) or control.DEMO_SPEED)
    options = control.LaunchOptions(
        mode=mode,
        speed=speed,
        seed=int(ss.get(SEED_KEY) or 0),
        use_ledger=bool(ss.get(USE_LEDGER_KEY, True)),
        source=SourceDefaults(ss.get(SOURCE_SERVICE_KEY), ss.get(SOURCE_REPO_KEY)),
    )
    run_id = launch_token(file_id)
    try:
        boot = control.launch_detached(upload.getvalue(), upload.name, s, options, run_id)
    except BadInputError as exc:
        st.session_state[LAUNCH_ERROR_KEY] = str(exc)
        return
    if boot.status == "failed_to_spawn":
        st.session_state[LAUNCH_ERROR_KEY] = (
            f"Run `{run_id}` was created but its engine failed to start: {boot.error}"
        )
        return
    details = {
        "source": upload.name,
        "mode": mode,
        "speed": speed,
        "seed": options.seed,
        "ledger": options.use_ledger,
    }
    _audit(s, who, Action.launch, run_id, {**details, "wave_size": s.wave_size})
    say("success", f"Run `{run_id}` launched: {upload.name}, {mode}.")
    context.go_to_run(run_id)


# --- stop / resume ---------------------------------------------------------------------------


def stop(run_id: str) -> None:
    allowed = _permitted(Action.stop)
    if allowed is None:
        return
    s, who = allowed
    try:
        result = control.stop_run(s, run_id)
    except BadInputError as exc:
        say("error", f"Could not stop run `{run_id}`: {exc}")
        return
    except RuntimeError as exc:
        # The engine may record `interrupted` at once and still take a while to exit.
        run = loaders.state(context.runs_dir_of(s), run_id)
        if run is not None and run.status != RunStatus.running:
            status = run.status.value
            _audit(s, who, Action.stop, run_id, {"status": status, "engine_slow_to_exit": True})
            say("warning", f"Run `{run_id}` is {status}, but its engine process is slow to exit: {exc}")
        else:
            say("error", f"Could not stop run `{run_id}`: {exc}")
        return
    if result.stopped:
        _audit(s, who, Action.stop, run_id, {})
        say("success", f"Run `{run_id}` stopped. Remote sessions keep running; **Resume** picks them up.")
    else:
        say("warning", result.message)


def resume(run_id: str) -> None:
    allowed = _permitted(Action.resume)
    if allowed is None:
        return
    s, who = allowed
    try:
        boot = control.resume_detached(s, run_id)
    except BadInputError as exc:
        say("error", f"Could not resume run `{run_id}`: {exc}")
        return
    if boot.status == "failed_to_spawn":
        say("error", f"Run `{run_id}` could not resume: the engine failed to start: {boot.error}")
    else:
        _audit(s, who, Action.resume, run_id, {})
        say("success", f"Run `{run_id}` resumed.")


# --- reviews ---------------------------------------------------------------------------------


def reason_key(run_id: str, finding_id: str, attempt: int) -> str:
    return f"review_reason::{run_id}::{finding_id}::{attempt}"


def decide(run_id: str, finding_id: str, attempt: int, decision: Literal["approved", "rejected"]) -> None:
    allowed = _permitted(Action.review)
    if allowed is None:
        return
    s, who = allowed
    runs_dir = context.runs_dir_of(s)
    run = loaders.state(runs_dir, run_id)
    if run is None:
        say("error", f"Run `{run_id}` has no state; nothing to review.")
        return
    reason = st.session_state.get(reason_key(run_id, finding_id, attempt)) or None
    try:
        record_review(
            RunPaths.of(runs_dir, run_id),
            run,
            finding_id,
            attempt,
            decision,
            who.email,
            reason,
        )
    except BadInputError as exc:
        say("error", f"The review was not recorded: {exc}")
        return
    _audit(
        s, who, Action.review, run_id, {"finding_id": finding_id, "attempt": attempt, "decision": decision}
    )
    verb = "Approved" if decision == "approved" else "Rejected"
    say("success", f"{verb} the pull request for {finding_id} (attempt {attempt}).")


# --- settings (admins) -----------------------------------------------------------------------

SETTINGS_KEY_PREFIX = "settings_field::"
WEIGHTS_EDITOR_KEY = "settings_weights_editor"
WEIGHTS_BASE_KEY = "_pw_settings_weights_base"  # the rows the weights editor was drawn with


def settings_field_key(name: str) -> str:
    return f"{SETTINGS_KEY_PREFIX}{name}"


def _edited_weights() -> dict[str, int] | None:
    """The service weights table after the edits in the data editor (None: not drawn)."""
    base = st.session_state.get(WEIGHTS_BASE_KEY)
    if base is None:
        return None
    rows = [dict(r) for r in base]
    delta = st.session_state.get(WEIGHTS_EDITOR_KEY) or {}
    for index, edits in (delta.get("edited_rows") or {}).items():
        rows[int(index)].update(edits)
    deleted = {int(i) for i in delta.get("deleted_rows") or []}
    rows = [r for i, r in enumerate(rows) if i not in deleted]
    rows.extend(dict(r) for r in delta.get("added_rows") or [])
    weights: dict[str, int] = {}
    for row in rows:
        service = str(row.get("service") or "").strip()
        if service:  # a row without a service name is ignored
            weights[service] = row.get("weight")  # type: ignore[assignment]  (validated by the engine)
    return weights


def _form_changes() -> dict[str, object]:
    changes: dict[str, object] = {}
    for name in EDITABLE:
        key = settings_field_key(name)
        if name != "service_weights" and key in st.session_state:
            changes[name] = st.session_state[key]
    weights = _edited_weights()
    if weights is not None:
        changes["service_weights"] = weights
    return changes


def change_settings(changes: dict[str, object] | None = None) -> None:
    """Save the Settings page's form (or `changes`) to the settings file; admins only."""
    allowed = _permitted(Action.change_settings)
    if allowed is None:
        return
    s, who = allowed
    if changes is None:
        changes = _form_changes()
    try:
        done = save_settings(s.settings_file, changes, who, context.runs_dir_of(s))
    except BadInputError as exc:
        say("error", f"Settings not saved: {exc}.")
        return
    except (OSError, Timeout) as exc:
        say("error", f"Settings not saved (or not audited): {exc}")
        return
    if not done:
        say("info", "Nothing changed.")
        return
    listed = "; ".join(f"`{name}` {old} → {new}" for name, (old, new) in done.items())
    say("success", f"Saved to `{s.settings_file}`: {listed}. New runs use these values.")
    shadowed = [name for name in done if origins()[name] in ("environment", ".env")]
    if shadowed:
        say(
            "warning",
            "Set in the environment or `.env`, which wins over the settings file, so still in force "
            f"there: {', '.join(f'`{n}`' for n in shadowed)}.",
        )


# --- the findings ledger ---------------------------------------------------------------------
# engine.ledger_ops checks the role again and writes the audit trail itself: these callbacks
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


def _inline(text: str) -> str:
    """Data as inline code in a message (markdown-inert, short)."""
    return "`" + str(text).replace("`", "'")[:80] + "`"


def _typed_text(key: str) -> str:
    value = st.session_state.get(key)
    return value.strip() if isinstance(value, str) else ""


def _source_of(value: str) -> DataSource | None:
    if value in DATA_SOURCES:
        return value  # type: ignore[return-value]
    say("error", f"There is no {_inline(value)} ledger: use live or simulated.")
    return None


def _ledger_call(failed: str, call: Callable[[], T]) -> tuple[bool, T | None]:
    """Runs one engine.ledger_ops call; on failure says `failed` and the engine's reason."""
    try:
        return True, call()
    except BadInputError as exc:
        say("error", f"{failed}: {exc}")
    except (OSError, Timeout) as exc:
        say("error", f"{failed}: the ledger or the audit trail could not be written ({exc}).")
    return False, None


def _triage_start(data_source: str) -> tuple[Settings, Identity, DataSource] | None:
    allowed = _permitted(Action.triage)
    if allowed is None:
        return None
    source = _source_of(data_source)
    return None if source is None else (*allowed, source)


def mark_false_positive(data_source: str, fingerprint: str) -> None:
    start = _triage_start(data_source)
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
        say("success", f"Marked {_inline(fingerprint)} a false positive; runs no longer dispatch it.")


def accept_risk(data_source: str, fingerprint: str) -> None:
    start = _triage_start(data_source)
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
        say("success", f"Risk accepted for {_inline(fingerprint)} until {expiry.isoformat()} (UTC).")


def reopen(data_source: str, fingerprint: str) -> None:
    start = _triage_start(data_source)
    if start is None:
        return
    s, who, source = start
    reason = _typed_text(triage_key("reopen_reason", source, fingerprint))
    if not reason:
        say("error", "Not reopened: say why (the reason is required).")
        return
    done, _ = _ledger_call("Not reopened", lambda: ledger_ops.reopen_as(s, who, source, fingerprint, reason))
    if done:
        say("success", f"Reopened {_inline(fingerprint)}: it is back in the work queue as recurring.")


def set_pull_request(data_source: str, fingerprint: str, state: str) -> None:
    """A reviewer records what became of a pull request the Git host cannot tell us about."""
    start = _triage_start(data_source)
    if start is None:
        return
    s, who, source = start
    if state not in PR_STATES:
        say("error", f"A pull request is open, merged or closed, not {_inline(state)}.")
        return
    done, changed = _ledger_call(
        "Pull request state not recorded",
        lambda: ledger_ops.set_pull_request_as(s, who, source, fingerprint, state),  # type: ignore[arg-type]
    )
    if done and changed:
        say("success", f"Recorded the pull request of {_inline(fingerprint)} as {state}.")
    elif done:
        say("info", f"The ledger already had the pull request of {_inline(fingerprint)} as {state}.")


def import_scan(data_source: str) -> None:
    """Records the uploaded scan in the ledger (nothing runs); importing it again changes nothing."""
    st.session_state.pop(LEDGER_IMPORT_RESULT_KEY, None)
    allowed = _permitted(Action.import_scan)
    if allowed is None:
        return
    s, who = allowed
    source = _source_of(data_source)
    if source is None:
        return
    upload = st.session_state.get(LEDGER_UPLOAD_KEY)
    if upload is None:
        say("error", "Choose a scan file to import first.")
        return
    defaults = SourceDefaults(_typed_text(LEDGER_SERVICE_KEY), _typed_text(LEDGER_REPO_KEY))
    done, result = _ledger_call(
        f"{_inline(upload.name)} was not imported",
        lambda: ledger_ops.import_scan_bytes(
            s, who, upload.getvalue(), upload.name, data_source=source, defaults=defaults
        ),
    )
    if not done or result is None:
        return
    st.session_state[LEDGER_IMPORT_RESULT_KEY] = (source, upload.name, result)
    summary = result.summary
    if summary.already_imported:
        say("info", f"{_inline(upload.name)} was imported before (scan {summary.scan_id}); nothing changed.")
        return
    counts = ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in summary.counts.items())
    say("success", f"Imported {_inline(upload.name)} into the {source} ledger: {counts}.")


def sync_pull_requests(data_source: str) -> None:
    """Asks the Git host what became of every open pull request in the ledger."""
    st.session_state.pop(LEDGER_SYNC_RESULT_KEY, None)
    allowed = _permitted(Action.import_scan)
    if allowed is None:
        return
    s, who = allowed
    source = _source_of(data_source)
    if source is None:
        return
    try:
        answers = ledger_ops.sync_pull_requests_from_git(s, who, source)
    except (BadInputError, requests.RequestException) as exc:
        say("error", f"Pull requests not synced: {exc}")
        return
    except (OSError, Timeout) as exc:
        say("error", f"Pull requests not synced: the ledger or the audit trail could not be written ({exc}).")
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


# --- services and policy (admins) ------------------------------------------------------------
# engine.policy's save functions do not audit: these callbacks do.

SERVICES_EDITOR_KEY = "policy_services_editor"
SERVICES_BASE_KEY = "_pw_policy_services_base"  # the rows the services editor was drawn with
OBJECTIVES_EDITOR_KEY = "policy_objectives_editor"
OBJECTIVES_BASE_KEY = "_pw_policy_objectives_base"


def policy_field_key(field: str) -> str:
    return f"policy_field::{field}"


def _edited_rows(base_key: str, editor_key: str) -> list[dict[str, object]] | None:
    """A data editor's rows after the user's edits (None: the editor was not drawn)."""
    base = st.session_state.get(base_key)
    if base is None:
        return None
    rows = [dict(r) for r in base]
    delta = st.session_state.get(editor_key) or {}
    for index, edits in (delta.get("edited_rows") or {}).items():
        if 0 <= int(index) < len(rows):
            rows[int(index)].update(edits)
    deleted = {int(i) for i in delta.get("deleted_rows") or []}
    rows = [r for i, r in enumerate(rows) if i not in deleted]
    rows.extend(dict(r) for r in delta.get("added_rows") or [])
    return rows


def save_services(rows: list[dict[str, object]] | None = None) -> None:
    """Save the Policy page's services table (or `rows`) to the services file; admins only."""
    allowed = _permitted(Action.change_settings)
    if allowed is None:
        return
    s, who = allowed
    rows = rows if rows is not None else _edited_rows(SERVICES_BASE_KEY, SERVICES_EDITOR_KEY)
    if rows is None:
        say("error", "Services not saved: the table is gone; reload the page.")
        return
    path = Path(s.services_file)
    try:
        before = load_services(path)
        catalog = policy_forms.services_catalog_of(rows, path)
    except BadInputError as exc:
        say("error", f"Services not saved: {exc}")
        return
    changes = policy_forms.services_changes(before, catalog)
    if not changes:
        say("info", "Nothing changed in the services.")
        return
    try:
        write_services(path, catalog)
    except (OSError, Timeout) as exc:
        say("error", f"Services not saved: {exc}")
        return
    _audit(s, who, Action.change_settings, "services", changes)
    say("success", f"Saved {len(catalog)} service(s) to `{path}`. New runs plan with them.")


def save_policy(
    values: dict[str, object] | None = None, objective_rows: list[dict[str, object]] | None = None
) -> None:
    """Save the Policy page's policy form (or `values` and `objective_rows`) to the policy file;
    admins only. Fields not given keep the file's values."""
    allowed = _permitted(Action.change_settings)
    if allowed is None:
        return
    s, who = allowed
    if values is None:
        values = {
            field: st.session_state[policy_field_key(field)]
            for field in policy_forms.POLICY_FIELDS
            if policy_field_key(field) in st.session_state
        }
        objective_rows = _edited_rows(OBJECTIVES_BASE_KEY, OBJECTIVES_EDITOR_KEY)
    path = Path(s.policy_file)
    try:
        before = load_policy(path)
        policy = policy_forms.policy_of(before, values, objective_rows, path)
    except BadInputError as exc:
        say("error", f"Policy not saved: {exc}")
        return
    changes = policy_forms.policy_changes(before, policy)
    if not changes:
        say("info", "Nothing changed in the policy.")
        return
    try:
        write_policy(path, policy)
    except (OSError, Timeout) as exc:
        say("error", f"Policy not saved: {exc}")
        return
    _audit(s, who, Action.change_settings, "policy", changes)
    listed = ", ".join(f"`{name}`" for name in changes)
    say("success", f"Saved the policy to `{path}` ({listed}). New runs plan with it.")
