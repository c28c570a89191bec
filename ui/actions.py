"""Button callbacks: every change to a run goes through engine.launch.control or engine.runs.reviews.

Callbacks run before the page is drawn, so they report back through `say` and the page shows
the message (`components.flash`). A message is markdown: every value in it that comes from a
person, a file or an error is escaped first (ui/markup.py). Launches are idempotent: a run id
is chosen once per upload (or per demo button drawing) and `launch_detached` with the same id
finds the run instead of starting it again, so a rerun, a double click or a second tab never
starts a run twice.

Every callback checks the caller's role on the server (`ui.action_guard.permitted`,
engine.access.roles) before it acts, and records what it did in the audit trail (engine.access.audit) after
it succeeded. Hiding a button is only a courtesy; this check is what protects."""

from __future__ import annotations

from typing import Literal, TypeVar

import streamlit as st
from filelock import Timeout

from engine.access.roles import Action
from engine.core.errors import BadInputError, WriteFailedError
from engine.core.models import RunStatus
from engine.core.sources import SourceDefaults
from engine.devin.preflight import PreflightError, require_connection, target_of
from engine.launch import control
from engine.memory.hooks import learn_from_review
from engine.runs.paths import RunPaths, new_run_id
from engine.runs.reviews import record_review
from engine.settings.file import EDITABLE, origins, save_settings
from engine.settings.run_settings import RUN_SETTINGS, flag
from ui import context, loaders
from ui.action_guard import audit, permitted, say
from ui.markup import code, md

_DEMO_TOKEN_KEY = "_pw_demo_token"
DEMO_GATE_KEY = "demo_pause_at_gate"  # the Launch page's "pause at a wave gate" checkbox
_LAUNCH_TOKENS_KEY = "_pw_launch_tokens"  # upload file_id -> run id
LAUNCH_ERROR_KEY = "_pw_launch_error"

UPLOAD_KEY = "launch_upload"
MODE_KEY = "launch_mode"
SOURCE_SERVICE_KEY = "launch_service"
SOURCE_REPO_KEY = "launch_repo"
USE_LEDGER_KEY = "launch_use_ledger"

T = TypeVar("T")


def launch_key(name: str) -> str:
    """The Launch form's widget key for run setting `name`: named after its option, e.g.
    "launch_wave_size" for --wave-size."""
    return "launch_" + flag(name).lstrip("-").replace("-", "_")


SPEED_KEY = launch_key("speed")


# --- demo ----------------------------------------------------------------------------------------


def demo_token() -> str:
    """The run id the demo button will use; a new one only after a demo actually started."""
    if _DEMO_TOKEN_KEY not in st.session_state:
        st.session_state[_DEMO_TOKEN_KEY] = f"demo-{new_run_id()}"
    return st.session_state[_DEMO_TOKEN_KEY]


def start_demo(run_id: str) -> None:
    allowed = permitted(Action.launch)
    if allowed is None:
        return
    s, who = allowed
    gate = bool(st.session_state.get(DEMO_GATE_KEY))
    try:
        boot = control.launch_demo(s, run_id, pause_at_gate=gate)
    except (BadInputError, WriteFailedError) as exc:
        say("error", f"The demo run could not start: {md(exc)}")
        return
    st.session_state[_DEMO_TOKEN_KEY] = f"demo-{new_run_id()}"
    if boot.status == "failed_to_spawn":
        say("error", f"The demo run's engine failed to start: {md(boot.error)}")
        return
    audit(s, who, Action.launch, run_id, {"demo": True, "mode": "simulated", "pause_at_gate": gate})
    # No message: the Overview's status banner says the run is starting, then running, and stays
    # in place as the run moves on (a message would vanish on the next redraw, and the page jump).
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
    # The form's run settings override the ones in effect (None: that input was not drawn).
    overrides = {name: ss.get(launch_key(name)) for name in RUN_SETTINGS}
    if mode == "live":
        overrides.update(speed=1.0)  # live sessions run at the agent's own pace
    allowed = permitted(Action.launch, **overrides)
    if allowed is None:
        return
    s, who = allowed
    if mode == "live" and s.api_key is None:  # the widget hides it, but re-check on the server
        st.session_state[LAUNCH_ERROR_KEY] = "Live mode needs DEVIN_API_KEY, which is not configured."
        return
    if mode == "live":  # the button waits for a good check; the launch checks again here
        try:
            require_connection(target_of(s))
        except PreflightError as exc:
            st.session_state[LAUNCH_ERROR_KEY] = str(exc)
            return
    options = control.LaunchOptions(
        mode=mode,
        use_ledger=bool(ss.get(USE_LEDGER_KEY, True)),
        source=SourceDefaults(ss.get(SOURCE_SERVICE_KEY), ss.get(SOURCE_REPO_KEY)),
    )
    run_id = launch_token(file_id)
    try:
        boot = control.launch_detached(upload.getvalue(), upload.name, s, options, run_id)
    except (BadInputError, WriteFailedError) as exc:
        st.session_state[LAUNCH_ERROR_KEY] = str(exc)
        return
    if boot.status == "failed_to_spawn":
        # Plain text, like every launch error: the page escapes it whole.
        st.session_state[LAUNCH_ERROR_KEY] = (
            f"Run {run_id} was created but its engine failed to start: {boot.error}"
        )
        return
    details = {
        "source": upload.name,
        "mode": mode,
        "speed": s.speed,
        "seed": s.seed,
        "ledger": options.use_ledger,
    }
    audit(s, who, Action.launch, run_id, {**details, "wave_size": s.wave_size})
    context.go_to_run(run_id)  # the Overview's status banner says it started (as for the demo)


# --- stop / resume ---------------------------------------------------------------------------


def stop(run_id: str) -> None:
    allowed = permitted(Action.stop)
    if allowed is None:
        return
    s, who = allowed
    try:
        result = control.stop(s, run_id)
    except BadInputError as exc:
        say("error", f"Could not stop run {code(run_id)}: {md(exc)}")
        return
    except RuntimeError as exc:
        # The engine may record `interrupted` at once and still take a while to exit.
        try:
            run = loaders.state(context.runs_dir_of(s), run_id)
        except BadInputError:  # a damaged state.json: the error below says enough
            run = None
        if run is not None and run.status != RunStatus.running:
            status = run.status.value
            audit(s, who, Action.stop, run_id, {"status": status, "engine_slow_to_exit": True})
            say(
                "warning",
                f"Run {code(run_id)} is {md(status)}, but its engine process is slow to exit: {md(exc)}",
            )
        else:
            say("error", f"Could not stop run {code(run_id)}: {md(exc)}")
        return
    if result.stopped:
        audit(s, who, Action.stop, run_id, {})
        if result.message.startswith(f"run {run_id} was queued"):  # never started: say so
            say("success", md(result.message))
            return
        say("success", f"Run {code(run_id)} stopped. Remote sessions keep running; **Resume** picks them up.")
    else:
        say("warning", md(result.message))


def resume(run_id: str) -> None:
    allowed = permitted(Action.resume)
    if allowed is None:
        return
    s, who = allowed
    try:
        boot = control.resume_detached(s, run_id)
    except (BadInputError, WriteFailedError) as exc:
        say("error", f"Could not resume run {code(run_id)}: {md(exc)}")
        return
    if boot.status == "failed_to_spawn":
        say("error", f"Run {code(run_id)} could not resume: the engine failed to start: {md(boot.error)}")
    else:
        audit(s, who, Action.resume, run_id, {})
        queued = " It waits in the queue for a worker." if boot.status == "queued" else ""
        say("success", f"Run {code(run_id)} resumed.{queued}")


# --- reviews ---------------------------------------------------------------------------------


def reason_key(run_id: str, finding_id: str, attempt: int) -> str:
    return f"review_reason::{run_id}::{finding_id}::{attempt}"


def decide(run_id: str, finding_id: str, attempt: int, decision: Literal["approved", "rejected"]) -> None:
    allowed = permitted(Action.review)
    if allowed is None:
        return
    s, who = allowed
    runs_dir = context.runs_dir_of(s)
    try:
        run = loaders.state(runs_dir, run_id)
    except BadInputError as exc:  # a damaged state.json
        say("error", f"The review was not recorded: {md(exc)}")
        return
    if run is None:
        say("error", f"Run {code(run_id)} has no state; nothing to review.")
        return
    reason = st.session_state.get(reason_key(run_id, finding_id, attempt)) or None
    try:
        decided = record_review(
            RunPaths.of(runs_dir, run_id),
            run,
            finding_id,
            attempt,
            decision,
            who.email,
            reason,
        )
    except (BadInputError, WriteFailedError) as exc:
        say("error", f"The review was not recorded: {md(exc)}")
        return
    audit(s, who, Action.review, run_id, {"finding_id": finding_id, "attempt": attempt, "decision": decision})
    learn_from_review(runs_dir, run, decided)  # the decision teaches the memory (engine.memory)
    verb = "Approved" if decision == "approved" else "Rejected"
    say("success", f"{verb} the pull request for {code(finding_id)} (attempt {attempt}).")


# --- settings (admins) -----------------------------------------------------------------------

SETTINGS_KEY_PREFIX = "settings_field::"


def settings_field_key(name: str) -> str:
    return f"{SETTINGS_KEY_PREFIX}{name}"


def _form_changes() -> dict[str, object]:
    changes: dict[str, object] = {}
    for name in EDITABLE:
        key = settings_field_key(name)
        if key in st.session_state:
            changes[name] = st.session_state[key]
    return changes


def change_settings(changes: dict[str, object] | None = None) -> None:
    """Save the Settings page's form (or `changes`) to the settings file; admins only."""
    allowed = permitted(Action.change_settings)
    if allowed is None:
        return
    s, who = allowed
    if changes is None:
        changes = _form_changes()
    try:
        done = save_settings(s.settings_file, changes, who, context.runs_dir_of(s))
    except BadInputError as exc:
        say("error", f"Settings not saved: {md(exc)}.")
        return
    except (OSError, Timeout) as exc:
        say("error", f"Settings not saved (or not audited): {md(exc)}")
        return
    if not done:
        say("info", "Nothing changed.")
        return
    listed = "; ".join(f"{code(name)} {md(old)} → {md(new)}" for name, (old, new) in done.items())
    say("success", f"Saved to {code(s.settings_file)}: {listed}. New runs use these values.")
    shadowed = [name for name in done if origins()[name] in ("environment", ".env")]
    if shadowed:
        say(
            "warning",
            "Set in the environment or `.env`, which wins over the settings file, so still in force "
            f"there: {', '.join(code(n) for n in shadowed)}.",
        )
