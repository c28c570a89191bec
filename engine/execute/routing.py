"""Which API a run's sessions go to. A live or simulated run has one; a hybrid run (a live run
with CONNECTED_REPOS) sends the findings of its connected repositories to the Devin API and the
rest to the in-process simulator, and every session records which (`data_source`), so polls,
nudges, timeouts and a resume's reconcile each ask the API that holds it."""

from __future__ import annotations

from engine.core.models import BatchRun, DataSource, Finding, RemediationSession
from engine.core.repos import is_connected
from engine.devin.client import DevinClient


class ApiRoutes:
    def __init__(self, run: BatchRun, client: DevinClient, simulated: DevinClient | None = None) -> None:
        self.run = run
        self.hybrid = run.config.hybrid and simulated is not None
        self._clients: dict[DataSource, DevinClient] = {run.data_source: client}
        if self.hybrid and simulated is not None:
            self._clients["simulated"] = simulated

    @property
    def primary(self) -> DevinClient:
        """The run's own API: the live one of a hybrid run."""
        return self._clients[self.run.data_source]

    def source_for(self, finding: Finding) -> DataSource:
        if self.hybrid and not is_connected(finding.repo_url, self.run.config.connected_repos):
            return "simulated"
        return self.run.data_source

    def client_of(self, source: DataSource | None) -> DevinClient:
        return self._clients.get(source or self.run.data_source, self.primary)

    def client_for(self, session: RemediationSession) -> DevinClient:
        return self.client_of(session.data_source)

    def clients(self) -> list[tuple[DataSource, DevinClient]]:
        return list(self._clients.items())

    def rate_limited(self) -> int:
        return sum(client.rate_limited for client in self._clients.values())
