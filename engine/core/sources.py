"""What the user says about a findings file that the file does not say itself."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceDefaults:
    """From the upload form or `--service`/`--repo`: the service and repository for findings
    whose file names neither (most scanner output describes code, not the service it is)."""

    service_name: str | None = None
    repo_url: str | None = None

    def __post_init__(self) -> None:
        # Blank form fields mean "not given".
        object.__setattr__(self, "service_name", (self.service_name or "").strip() or None)
        object.__setattr__(self, "repo_url", (self.repo_url or "").strip() or None)
