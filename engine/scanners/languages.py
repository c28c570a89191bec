"""A finding's language: what the scan says (CodeQL's "/language:python/"), else the file's
extension. Lowercase names, as the findings CSV uses them ("python", "java", "typescript")."""

from __future__ import annotations

import re

_EXTENSIONS: dict[str, str] = {
    "py": "python",
    "pyi": "python",
    "js": "javascript",
    "jsx": "javascript",
    "mjs": "javascript",
    "cjs": "javascript",
    "ts": "typescript",
    "tsx": "typescript",
    "java": "java",
    "jsp": "java",
    "kt": "kotlin",
    "kts": "kotlin",
    "scala": "scala",
    "go": "go",
    "rb": "ruby",
    "php": "php",
    "cs": "csharp",
    "cshtml": "csharp",
    "razor": "csharp",
    "c": "c",
    "h": "c",
    "cc": "cpp",
    "cpp": "cpp",
    "cxx": "cpp",
    "hpp": "cpp",
    "rs": "rust",
    "swift": "swift",
    "m": "objective-c",
    "sh": "shell",
    "bash": "shell",
    "tf": "terraform",
}
_CODEQL_LANGUAGES = {"c-cpp": "cpp", "javascript-typescript": "javascript", "java-kotlin": "java"}
_AUTOMATION = re.compile(r"language:([A-Za-z0-9+#_-]+)")


def language_from_path(path: str | None) -> str | None:
    if not path:
        return None
    name = path.rsplit("/", 1)[-1]
    if name == "Dockerfile" or name.startswith("Dockerfile."):
        return "dockerfile"
    dot = name.rfind(".")
    if dot <= 0:
        return None
    return _EXTENSIONS.get(name[dot + 1 :].lower())


def language_from_automation_id(automation_id: object) -> str | None:
    """CodeQL's run.automationDetails.id: "/language:python/" -> "python"."""
    if not isinstance(automation_id, str):
        return None
    match = _AUTOMATION.search(automation_id)
    if not match:
        return None
    language = match.group(1).lower()
    return _CODEQL_LANGUAGES.get(language, language)
