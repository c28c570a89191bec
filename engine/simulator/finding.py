"""What a simulated session works on: the finding in its prompt's data block.

The engine's prompt (engine.devin.prompt) carries the finding as JSON between two markers, so
the simulated agent reads it the way a real one would: the category, language, file, package
and repository it answers with come from there. A prompt without a data block (a hand-written
session) falls back to keywords and paths found in its text.

Everything here is scanner data, hence untrusted: it is only ever used as text (escaped
wherever it is shown), never as a path on this machine."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from engine.core.models import FindingCategory
from engine.devin.prompt import DATA_BEGIN, DATA_END
from engine.scanners.categories import category_for
from engine.scanners.languages import language_from_path

DEFAULT_REPO = "acme-corp/service"
_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_REPO_IN_TEXT = re.compile(r"github\.com[/:]([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)")
_ATTEMPT = re.compile(r"\bThis is attempt (\d+)\.")
_PATH_IN_TEXT = re.compile(
    r"(?<![\w/.:-])((?:[\w.-]+/)*[\w.-]+\.(?:py|js|jsx|ts|tsx|java|kt|go|rb|php|cs|scala|rs|c|cc|cpp|h"
    r"|json|lock|toml|txt|xml|gradle|ya?ml|cfg|ini|properties|tf|ejs|html))\b"
)
# Keywords for prompts without a data block; first match wins.
_KEYWORDS: tuple[tuple[str, FindingCategory], ...] = (
    ("sql injection", FindingCategory.sql_injection),
    ("sql_injection", FindingCategory.sql_injection),
    ("cross-site scripting", FindingCategory.xss),
    ("xss", FindingCategory.xss),
    ("path traversal", FindingCategory.path_traversal),
    ("command injection", FindingCategory.command_injection),
    ("ssrf", FindingCategory.ssrf),
    ("deserializ", FindingCategory.insecure_deserialization),
    ("hardcoded", FindingCategory.hardcoded_secret),
    ("hard-coded", FindingCategory.hardcoded_secret),
    ("secret", FindingCategory.hardcoded_secret),
    ("pii", FindingCategory.pii_logging),
    ("encrypt", FindingCategory.missing_encryption),
    ("access log", FindingCategory.access_logging),
    ("audit log", FindingCategory.access_logging),
    ("cve-", FindingCategory.dependency_vulnerability),
    ("dependency", FindingCategory.dependency_vulnerability),
)


@dataclass(frozen=True)
class TaskFinding:
    """The fields of the finding a simulated session remediates (all text, maybe empty)."""

    finding_id: str
    category: FindingCategory  # as the finding says
    severity: str
    title: str
    service_name: str
    repo: str  # owner/name, safe for a URL path
    file_path: str
    line_number: int | None
    cwe_id: str
    dependency_name: str
    current_version: str
    fixed_version: str
    language: str  # lower case; from the finding, else from the file's extension
    scanner: str
    rule_id: str
    attempt: int
    from_data_block: bool

    @property
    def fix_category(self) -> FindingCategory:
        """The category the fix follows: the finding's, or for `other` the one its CWE names
        (a finding filed as `other` with CWE-338 is fixed like weak cryptography)."""
        if self.category != FindingCategory.other or not self.cwe_id:
            return self.category
        return category_for(self.cwe_id)

    def identity(self) -> str:
        """What a session's random draws follow: the finding, not the prompt's wording (a
        playbook edit must not change a seeded demo) and not the attempt."""
        return json.dumps(
            [self.finding_id, self.category.value, self.title, self.service_name, self.file_path,
             self.line_number, self.dependency_name, self.cwe_id],
            ensure_ascii=False,
        )  # fmt: skip


def read_task(prompt: str) -> TaskFinding:
    data = _data_block(prompt)
    attempt = int(m.group(1)) if (m := _ATTEMPT.search(prompt)) else 1
    if data is None:
        return _from_text(prompt, attempt)
    file_path = _text(data.get("file_path"))
    category = _category(_text(data.get("category")))
    line = data.get("line_number")
    return TaskFinding(
        finding_id=_text(data.get("finding_id")) or "finding",
        category=category,
        severity=_text(data.get("severity")) or "medium",
        title=_text(data.get("title")),
        service_name=_text(data.get("service_name")) or "service",
        repo=repo_of(_text(data.get("repo_url"))),
        file_path=file_path,
        line_number=line if isinstance(line, int) and line > 0 else None,
        cwe_id=_text(data.get("cwe_id")),
        dependency_name=_text(data.get("dependency_name")),
        current_version=_text(data.get("current_version")),
        fixed_version=_text(data.get("fixed_version")),
        language=(_text(data.get("language")).lower() or language_from_path(file_path) or ""),
        scanner=_text(data.get("scanner")),
        rule_id=_text(data.get("rule_id")),
        attempt=max(1, attempt),
        from_data_block=True,
    )


def repo_of(repo_url: str) -> str:
    """`owner/name` of a repository URL (any host), else the default repository."""
    match = re.match(r"^(?:https?://|ssh://)?(?:[^@/]+@)?[^/:]+[/:]([^/]+)/([^/?#]+)", repo_url.strip())
    if not match:
        return DEFAULT_REPO
    owner, name = match.group(1), match.group(2).removesuffix(".git").rstrip(".")
    if all(_SAFE_SEGMENT.match(part) and part.strip(".") for part in (owner, name)):
        return f"{owner}/{name}"
    return DEFAULT_REPO


def _data_block(prompt: str) -> dict[str, Any] | None:
    start = prompt.find(DATA_BEGIN)
    end = prompt.find(DATA_END, start + 1)
    if start < 0 or end < 0:
        return None
    try:
        data = json.loads(prompt[start + len(DATA_BEGIN) : end])
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _category(value: str) -> FindingCategory:
    try:
        return FindingCategory(value)
    except ValueError:
        return FindingCategory.other


def _from_text(prompt: str, attempt: int) -> TaskFinding:
    lowered = prompt.lower()
    category = next((c for keyword, c in _KEYWORDS if keyword in lowered), FindingCategory.other)
    found = _REPO_IN_TEXT.search(prompt)
    repo = repo_of(f"https://github.com/{found.group(1)}/{found.group(2)}") if found else DEFAULT_REPO
    paths = [m.group(1) for m in _PATH_IN_TEXT.finditer(prompt) if "github.com" not in m.group(1)]
    file_path = paths[0] if paths else ""
    first_line = next((line.strip() for line in prompt.splitlines() if line.strip()), "")
    return TaskFinding(
        finding_id="task",
        category=category,
        severity="medium",
        title=first_line[:200],
        service_name=repo.split("/")[-1],
        repo=repo,
        file_path=file_path,
        line_number=None,
        cwe_id="",
        dependency_name="",
        current_version="",
        fixed_version="",
        language=language_from_path(file_path) or "",
        scanner="",
        rule_id="",
        attempt=max(1, attempt),
        from_data_block=False,
    )
