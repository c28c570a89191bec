"""Plausible agent texts for simulated sessions, derived from the prompt and a seeded rng.

Nothing here reads the clock or global state: the same prompt and the same rng state always
give the same texts, which is what makes a simulated session reproducible.
"""

from __future__ import annotations

import random
import re

DEFAULT_REPO = "acme-corp/service"

_REPO_RE = re.compile(r"github\.com[/:]([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)")
_PATH_RE = re.compile(
    r"(?<![\w/.:-])((?:[\w.-]+/)*[\w.-]+\.(?:py|js|jsx|ts|tsx|java|kt|go|rb|php|cs|scala|rs"
    r"|json|lock|toml|txt|xml|gradle|ya?ml|cfg|ini|properties))\b"
)

# keyword (lower case) -> category; first match wins, so order matters.
_CATEGORY_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("sql injection", "sql_injection"),
    ("sql_injection", "sql_injection"),
    ("cwe-89", "sql_injection"),
    ("cross-site", "xss"),
    ("xss", "xss"),
    ("cwe-79", "xss"),
    ("path traversal", "path_traversal"),
    ("path_traversal", "path_traversal"),
    ("cwe-22", "path_traversal"),
    ("hardcoded", "hardcoded_secret"),
    ("hard-coded", "hardcoded_secret"),
    ("secret", "hardcoded_secret"),
    ("pii", "pii_logging"),
    ("encrypt", "missing_encryption"),
    ("access log", "access_logging"),
    ("access_logging", "access_logging"),
    ("audit log", "access_logging"),
    ("cve-", "dependency_vulnerability"),
    ("dependency", "dependency_vulnerability"),
    ("vulnerable version", "dependency_vulnerability"),
)

_FIX_APPROACHES: dict[str, tuple[str, ...]] = {
    "sql_injection": (
        "Replace the string-built query with a parameterized query so user input is bound "
        "as data, never concatenated into SQL.",
        "Switch the raw query to the ORM's bound-parameter API and whitelist the sortable column names.",
    ),
    "xss": (
        "Escape the user-controlled value with the template engine's auto-escaping and drop "
        "the raw HTML rendering.",
        "Sanitize the rendered value with the framework's encoder and add a strict "
        "Content-Security-Policy header.",
    ),
    "path_traversal": (
        "Resolve the requested path against the base directory and reject any path that escapes it.",
        "Replace direct path joins with a safe lookup by file id and normalize input paths.",
    ),
    "hardcoded_secret": (
        "Move the hardcoded credential to an environment variable read through the config "
        "module and remove it from source.",
        "Load the secret from the secrets manager at startup and replace the literal with a config lookup.",
    ),
    "pii_logging": (
        "Mask email addresses and other PII in the log statements with a redaction helper.",
        "Stop logging the full request payload and log only non-sensitive identifiers.",
    ),
    "missing_encryption": (
        "Enable encryption at rest for the storage resource and enforce TLS for clients.",
        "Encrypt the sensitive column with the platform KMS key before it is persisted.",
    ),
    "access_logging": (
        "Enable access logging on the resource and route the logs to the central bucket.",
        "Add structured audit logging for every access to the sensitive endpoint.",
    ),
    "dependency_vulnerability": (
        "Upgrade the vulnerable dependency to the first patched version and refresh the lockfile.",
        "Bump the affected package to the fixed release and adjust the one call site whose API changed.",
    ),
    "other": (
        "Apply the minimal code change that removes the reported weakness and keeps "
        "behaviour for valid input unchanged.",
        "Harden the flagged code path with input validation and a safe default.",
    ),
}

_DEFAULT_FILES: dict[str, tuple[str, ...]] = {
    "sql_injection": ("src/db/queries.py", "src/api/users.py"),
    "xss": ("src/web/templates/profile.html", "src/web/views.py"),
    "path_traversal": ("src/files/download.py",),
    "hardcoded_secret": ("src/config/settings.py", ".env.example"),
    "pii_logging": ("src/logging/formatters.py", "src/api/accounts.py"),
    "missing_encryption": ("infra/storage.tf",),
    "access_logging": ("infra/logging.tf",),
    "dependency_vulnerability": ("requirements.txt",),
    "other": ("src/app.py",),
}

_FAILURES: tuple[str, ...] = (
    "Test suite failed after applying the fix: {n} failing test(s) in the integration suite.",
    "Regression test could not pass: the fix changes behaviour for a legitimate input.",
    "Build failed after the change: a dependent module does not compile against the fix.",
    "Could not run the test suite: required service containers failed to start.",
)


def repo_from_prompt(prompt: str) -> str:
    """The first `owner/repo` named by a github.com URL in the prompt, else the default."""
    match = _REPO_RE.search(prompt)
    if not match:
        return DEFAULT_REPO
    owner, repo = match.group(1), match.group(2)
    repo = repo.removesuffix(".git").rstrip(".")
    return f"{owner}/{repo}" if repo else DEFAULT_REPO


def detect_category(prompt: str) -> str:
    lowered = prompt.lower()
    for keyword, category in _CATEGORY_KEYWORDS:
        if keyword in lowered:
            return category
    return "other"


def default_title(prompt: str) -> str:
    """What the real API auto-generates when no title is given: here, the first line."""
    first = next((line.strip() for line in prompt.splitlines() if line.strip()), "Session")
    first = first.lstrip("#").strip() or "Session"
    return first if len(first) <= 80 else first[:77].rstrip() + "..."


def fix_approach(category: str, rng: random.Random) -> str:
    return rng.choice(_FIX_APPROACHES.get(category, _FIX_APPROACHES["other"]))


def files_modified(prompt: str, category: str, rng: random.Random) -> list[str]:
    """Paths named in the prompt (outside URLs), else category defaults; maybe plus a test."""
    found: list[str] = []
    for match in _PATH_RE.finditer(prompt):
        path = match.group(1)
        if path not in found and "github.com" not in path:
            found.append(path)
    files = found[:2] or list(_DEFAULT_FILES.get(category, _DEFAULT_FILES["other"]))
    if category != "dependency_vulnerability" and rng.random() < 0.8:
        stem = files[0].rsplit("/", 1)[-1].split(".", 1)[0] or "fix"
        files.append(f"tests/test_{stem}_security.py")
    return files


def failure_reason(rng: random.Random) -> str:
    return rng.choice(_FAILURES).format(n=rng.randint(1, 4))


def stage_messages(
    *, repo: str, approach: str, files: list[str], tests_added: int, pr_url: str, error: str
) -> dict[str, str]:
    """One Devin chat message per stage (keyed by the stage the message announces)."""
    return {
        "analyzing": f"I'll clone {repo} and start by analyzing the reported finding.",
        "fixing": f"Found the root cause. Plan: {approach}",
        "testing": f"Changed {', '.join(files)}. Running the test suite now.",
        "creating_pr": f"All tests pass ({tests_added} new). Opening a pull request.",
        "completed": f"Done: I opened {pr_url} with the fix and regression tests.",
        "failed": f"I'm blocked: {error} How would you like me to proceed?",
    }
