"""Where a session ran, for a hybrid run's mix of live and simulated sessions."""

from __future__ import annotations

from engine.core.models import BatchRun, DataSource, RemediationSession


def session_source(run: BatchRun, session: RemediationSession) -> DataSource:
    """Its own label in a hybrid run, else the run's data source."""
    return session.data_source or run.data_source


def counts_for_real(run: BatchRun, session: RemediationSession) -> bool:
    """Whether a session's outcome may reach the findings ledger and the lessons: a hybrid run's
    simulated sessions never do, or a simulated fix would stand as a real one."""
    return session_source(run, session) == run.data_source


def store_source(listed: str) -> DataSource:
    """The ledger and memory a run listed as `listed` (its index entry's data source) uses: a
    hybrid run keeps the live ones, since only its live sessions reach them."""
    return "simulated" if listed == "simulated" else "live"
