"""A pull request as its host shows it (files changed, the unified diff, checks): what a
reviewer judges, whichever host served it (the simulator's saved pull request, or a Git host)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

EvidenceSource = Literal["simulated", "git_host"]


class ChangedFile(BaseModel):
    path: str
    additions: int | None = None  # None: the agent named the file, the PR was not read
    deletions: int | None = None


class CheckResult(BaseModel):
    name: str
    conclusion: str  # success, failure, neutral...
    summary: str = ""


class PullEvidence(BaseModel):
    source: EvidenceSource
    diff: str
    files: list[ChangedFile] = Field(default_factory=list)
    checks: list[CheckResult] = Field(default_factory=list)


def files_of_diff(diff: str) -> list[ChangedFile]:
    """Each file of a unified diff with its added and deleted lines."""
    files: list[ChangedFile] = []
    for line in diff.splitlines():
        if line.startswith("diff --git "):
            path = line.rsplit(" b/", 1)[-1]
            files.append(ChangedFile(path=path, additions=0, deletions=0))
        elif files and line.startswith("+") and not line.startswith("+++"):
            files[-1].additions = (files[-1].additions or 0) + 1
        elif files and line.startswith("-") and not line.startswith("---"):
            files[-1].deletions = (files[-1].deletions or 0) + 1
    return files
