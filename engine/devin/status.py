"""Turn what the API reports about a session into our SessionStatus.

The v1 `status_enum` says whether Devin is working, but not whether it succeeded: Devin often
idles in `blocked` once done. So the outcome comes from the PR and the structured output."""

from __future__ import annotations

from engine.core.models import SessionStatus
from engine.devin.schemas import SessionDetails

WORKING_ENUMS = frozenset({"working", "resumed", "resume_requested", "resume_requested_frontend"})
SUSPENDED_ENUMS = frozenset({"suspend_requested", "suspend_requested_frontend"})
ENDED_ENUMS = frozenset({"finished", "stopped"})  # `stopped` is legacy, still seen in clients
EXPIRED_ENUMS = frozenset({"expired"})
# v3's reasons for a suspension that no waiting will undo: the session's or the organisation's
# usage limit (a session that reaches its max_acu_limit is suspended with usage_limit_exceeded).
USAGE_LIMIT_DETAILS = frozenset(
    {
        "usage_limit_exceeded",
        "total_session_limit_exceeded",
        "org_usage_limit_exceeded",
        "out_of_credits",
        "out_of_quota",
        "no_quota_allocation",
        "payment_declined",
    }
)
FAILED_STEPS = frozenset({"failed", "error"})
DONE_STEPS = frozenset({"completed", "done"})


def map_status(details: SessionDetails) -> tuple[SessionStatus, str | None]:
    """(our status, a reason when the session did not succeed)."""
    output = details.structured_output or {}
    step = str(output.get("current_step") or output.get("status") or "").lower()
    error = output.get("error") if isinstance(output.get("error"), str) else None
    enum = (details.status_enum or "").lower()
    if not enum:
        enum = {"running": "working", "exit": "finished"}.get((details.status or "").lower(), "")

    if step in FAILED_STEPS:
        return SessionStatus.failed, error or "the agent reported failure"
    detail = (details.status_detail or "").lower()
    if detail in USAGE_LIMIT_DETAILS:
        if details.pr_url and step in DONE_STEPS | {"creating_pr"}:
            return SessionStatus.success, None  # it opened its pull request before the limit hit
        used = f" after {details.acus_consumed:g} ACUs" if details.acus_consumed is not None else ""
        return SessionStatus.failed, f"the session was suspended ({detail}){used} before it finished"
    if enum in WORKING_ENUMS:
        return SessionStatus.working, None
    if enum in ENDED_ENUMS:
        if details.pr_url:
            return SessionStatus.success, None
        return SessionStatus.failed, error or "the session ended without a pull request"
    if enum in EXPIRED_ENUMS:
        if details.pr_url and step in DONE_STEPS:
            return SessionStatus.success, None
        return SessionStatus.timeout, "the session expired"
    if enum == "blocked":
        if details.pr_url:
            return SessionStatus.success, None
        if error:
            return SessionStatus.failed, error
        return SessionStatus.blocked, "the agent is waiting for input"
    if enum in SUSPENDED_ENUMS:
        # Devin is suspended after idling; if it opened its PR first, the work is done.
        if details.pr_url:
            return SessionStatus.success, None
        return SessionStatus.blocked, "the session is suspended"
    # An enum this client does not know yet: treat it as still working, the timeout bounds it.
    return SessionStatus.working, None
