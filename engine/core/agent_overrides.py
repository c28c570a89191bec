"""What an administrator tells the agent about one service: extra instructions, files or paths
it must not touch, the command that runs the service's tests, and who reviews its pull requests.

They are set per service in the services file (`[services.NAME.agent]`, parsed by
engine.policy.service_agent), copied into the run's configuration when it is launched, and
written into that service's prompts inside Patchwave's own instruction section, attributed to
the services file (engine.devin.prompt). The copy matters: a resumed run builds byte-for-byte
the prompts it built before, which idempotent creates rely on, whatever the file says by then.

The text is an administrator's, not a scanner's, but it still goes into a prompt next to the
untrusted data block, so nothing here may read as that block's markers, carry control or
invisible characters, or break a one-line value over several lines."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from pydantic import BaseModel, ConfigDict, Field, field_validator

from engine.devin.untrusted import reads_as_marker

MAX_INSTRUCTIONS_CHARS = 4000
MAX_LINE_CHARS = 500
MAX_PATHS = 100
MAX_REVIEWERS = 20
# A GitHub user (`alice`, `@alice`) or team (`@acme/payments-team`).
_REVIEWER = re.compile(r"^@?[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:/[A-Za-z0-9][A-Za-z0-9_.-]{0,99})?$")
_ALLOWED_CONTROLS = frozenset("\n\t")
OVERRIDE_FIELDS = ("instructions", "do_not_touch", "test_command", "reviewers")


def _check_text(value: str, *, multiline: bool) -> str:
    value = value.replace("\r\n", "\n").strip()
    if not value:
        raise ValueError("must not be empty")
    for char in value:
        if char in _ALLOWED_CONTROLS and (multiline or char == "\t"):
            continue
        if char == "\n" or unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Cs"):
            where = (
                "a line break" if char == "\n" else f"the invisible or control character U+{ord(char):04X}"
            )
            raise ValueError(f"must not contain {where}")
    if reads_as_marker(value):
        raise ValueError("must not contain text that reads as a finding-data marker")
    return value


class AgentOverrides(BaseModel):
    """One service's overrides; every field is optional."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    instructions: str | None = Field(default=None, max_length=MAX_INSTRUCTIONS_CHARS)
    do_not_touch: list[str] = Field(default_factory=list, max_length=MAX_PATHS)
    test_command: str | None = Field(default=None, max_length=MAX_LINE_CHARS)
    reviewers: list[str] = Field(default_factory=list, max_length=MAX_REVIEWERS)

    @field_validator("instructions")
    @classmethod
    def _instructions(cls, value: str | None) -> str | None:
        return None if value is None else _check_text(value, multiline=True)

    @field_validator("test_command")
    @classmethod
    def _test_command(cls, value: str | None) -> str | None:
        return None if value is None else _check_text(value, multiline=False)

    @field_validator("do_not_touch")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        paths = []
        for path in value:
            checked = _check_text(path, multiline=False)
            if len(checked) > MAX_LINE_CHARS:
                raise ValueError(f"a path must be at most {MAX_LINE_CHARS} characters")
            paths.append(checked)
        return paths

    @field_validator("reviewers")
    @classmethod
    def _reviewers(cls, value: list[str]) -> list[str]:
        reviewers = [r.strip() for r in value]
        for reviewer in reviewers:
            if not _REVIEWER.fullmatch(reviewer):
                raise ValueError(
                    f"{reviewer!r} is not a Git host user or team (like alice, @alice or @acme/team)"
                )
        return reviewers

    @property
    def empty(self) -> bool:
        return not (self.instructions or self.do_not_touch or self.test_command or self.reviewers)

    def summary(self) -> dict[str, str]:
        """Each set override as one line of text, for tables in the app."""
        shown = {
            "instructions": self.instructions or "",
            "do_not_touch": ", ".join(self.do_not_touch),
            "test_command": self.test_command or "",
            "reviewers": ", ".join(self.reviewers),
        }
        return {name: value for name, value in shown.items() if value}


def overrides_for(
    table: Mapping[str, AgentOverrides], service_name: str
) -> tuple[str, AgentOverrides] | None:
    """(the services file's name for the service, its overrides) for a finding's service,
    matched like the service catalog matches names (case- and padding-insensitive)."""
    wanted = service_name.strip().lower()
    for name, overrides in table.items():
        if name.strip().lower() == wanted and not overrides.empty:
            return name, overrides
    return None


def overrides_by_service(
    table: Mapping[str, AgentOverrides], service_names: Iterable[str]
) -> list[dict[str, object]]:
    """For a plan preview: one row per service of `service_names` (a finding's service each,
    in order of first appearance) that has overrides, with how many findings it has and each
    override as one line of text."""
    counts: dict[str, int] = {}
    for name in service_names:
        counts[name] = counts.get(name, 0) + 1
    rows: list[dict[str, object]] = []
    for service, findings in counts.items():
        found = overrides_for(table, service)
        if found is None:
            continue
        configured_as, overrides = found
        summary = overrides.summary()
        rows.append(
            {
                "service": service,
                "configured_as": configured_as,
                "findings": findings,
                **{field: summary.get(field, "") for field in OVERRIDE_FIELDS},
            }
        )
    return rows
