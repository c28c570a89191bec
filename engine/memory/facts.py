"""`SessionFacts` from a run's state: what learning needs to know about one of its sessions."""

from __future__ import annotations

from engine.core.models import BatchRun, Finding, RemediationSession
from engine.memory.learn import SessionFacts


def facts_of(finding: Finding, run_id: str, session: RemediationSession) -> SessionFacts:
    progress = session.progress
    return SessionFacts(
        run_id=run_id,
        finding_id=session.finding_id,
        attempt=session.attempt,
        category=finding.category,
        service=finding.service_name,
        language=finding.language,
        session_id=session.session_id,
        pr_url=session.pull_request_url,
        error=session.error or (progress.error if progress else None),
        fix_approach=progress.fix_approach if progress else None,
        files_modified=list(progress.files_modified) if progress else [],
        tests_run=list(progress.tests_run) if progress else [],
        memory_ids=list(session.memory_ids),
    )


def session_facts(run: BatchRun, finding_id: str, attempt: int) -> SessionFacts | None:
    """The facts of that session of `run`, None when the run has no such session or finding
    (held back findings included: a dispatch refused later still had its finding)."""
    session = next((s for s in run.sessions if s.key == (finding_id, attempt)), None)
    if session is None:
        return None
    findings = {f.finding_id: f for f in run.findings}
    findings.update(
        {h.finding.finding_id: h.finding for h in run.held_back if h.finding.finding_id not in findings}
    )
    finding = findings.get(finding_id)
    return facts_of(finding, run.run_id, session) if finding is not None else None
