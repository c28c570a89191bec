"""What a fix for a finding must look like, written independently of the simulator's tables:
the words its approach uses for the category, the files a dependency upgrade may touch per
ecosystem, the extensions a language's files have, and words that belong to other languages."""

from __future__ import annotations

import posixpath
import re

from engine.core.models import Finding, FindingCategory
from engine.scanners.categories import category_for

_C = FindingCategory
APPROACH_WORDS: dict[FindingCategory, str] = {
    _C.sql_injection: r"parameteri[sz]ed|bound|prepared|placeholder",
    _C.xss: r"escap|encod|saniti",
    _C.path_traversal: r"base directory|resolve|canonical|normali",
    _C.hardcoded_secret: r"credential|secret|environment|rotat",
    _C.pii_logging: r"personal data|mask|redact",
    _C.missing_encryption: r"\btls\b|https|encrypt",
    _C.access_logging: r"audit",
    _C.dependency_vulnerability: r"upgrade|patched|rebuild",
    _C.command_injection: r"argument|shell",
    _C.code_injection: r"evaluat|parse",
    _C.injection: r"metacharacter|parameteri|filter",
    _C.ssrf: r"allow-list|private|outbound",
    _C.xxe: r"doctype|external entit|dtd",
    _C.insecure_deserialization: r"deserializ|json|data-only",
    _C.weak_cryptography: r"securerandom|secrets\.|sha-?256|csprng|crypto\.random|weak primitive",
    _C.open_redirect: r"redirect",
    _C.csrf: r"csrf",
    _C.input_validation: r"validat|schema",
    _C.broken_authentication: r"authenticat|identity|login",
    _C.missing_authorization: r"owner|access rule|scoped|authori",
    _C.memory_safety: r"bound|buffer",
    _C.race_condition: r"atomic|lock|mutex",
    _C.resource_exhaustion: r"limit",
    _C.null_dereference: r"missing value|null|none|absent",
    _C.integer_overflow: r"overflow|checked|range",
    _C.file_upload: r"upload",
    _C.csv_injection: r"formula",
    _C.information_exposure: r"expos|x-powered-by|stack trace|error",
    _C.missing_integrity_check: r"integrity|signature|checksum|hash",
    _C.error_handling: r"error|except",
    _C.code_quality: r"defect|unused|minimal",
    _C.other: r"weakness|mitigation|validat",
}
MANIFESTS: dict[str, set[str]] = {
    "java": {"pom.xml", "build.gradle", "build.gradle.kts", "gradle.lockfile"},
    "kotlin": {"build.gradle.kts", "build.gradle", "pom.xml"},
    "python": {"requirements.txt", "pyproject.toml", "poetry.lock", "Pipfile", "Pipfile.lock", "uv.lock"},
    "javascript": {"package.json", "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "npm-shrinkwrap.json"},
    "typescript": {"package.json", "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "npm-shrinkwrap.json"},
    "go": {"go.mod", "go.sum"},
    "ruby": {"Gemfile", "Gemfile.lock"},
    "rust": {"Cargo.toml", "Cargo.lock"},
    "php": {"composer.json", "composer.lock"},
    "csharp": {"packages.lock.json", "packages.config"},
}
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "java": (".java",),
    "kotlin": (".kt",),
    "python": (".py",),
    "javascript": (".js", ".mjs", ".cjs"),
    "typescript": (".ts", ".tsx"),
    "go": (".go",),
    "ruby": (".rb",),
    "php": (".php",),
    "csharp": (".cs",),
    "c": (".c", ".h"),
    "cpp": (".cpp", ".cc", ".h", ".hpp"),
    "rust": (".rs",),
}
# Words that name another language's tools or APIs: a fix for Java never says `cursor.execute`.
_PYTHON_WORDS = r"cursor\.execute|os\.environ|pytest|jinja|pydantic|pip-audit"
_JAVA_WORDS = r"PreparedStatement|@Value|SLF4J|HandlerInterceptor|\bmvn\b"
_NODE_WORDS = r"process\.env|escape-html|winston|\bnpm\b"
FOREIGN: dict[str, str] = {
    "java": f"{_PYTHON_WORDS}|{_NODE_WORDS}",
    "python": f"{_JAVA_WORDS}|{_NODE_WORDS}",
    "typescript": f"{_JAVA_WORDS}|{_PYTHON_WORDS}",
}
FOREIGN["javascript"] = FOREIGN["typescript"]


def fix_category(finding: Finding) -> FindingCategory:
    """The category a fix must follow: the finding's, or for `other` the one its CWE names."""
    if finding.category is _C.other and finding.cwe_id:
        return category_for(finding.cwe_id)
    return finding.category


def problems(finding: Finding, approach: str | None, files: list[str], diff: str | None = None) -> list[str]:
    """Everything wrong with a fix of `finding` (empty when it fits its category and language)."""
    found: list[str] = []
    category, language = fix_category(finding), (finding.language or "").lower()
    if not approach or not re.search(APPROACH_WORDS[category], approach, re.IGNORECASE):
        found.append(f"approach does not fit {category.value}: {approach!r}")
    if language in FOREIGN and approach and (m := re.search(FOREIGN[language], approach)):
        found.append(f"approach for {language} names {m.group(0)!r}: {approach!r}")
    if not files:
        found.append("no files changed")
    if category is _C.dependency_vulnerability:
        allowed = MANIFESTS.get(language, set())
        for path in files:
            if posixpath.basename(path) not in allowed and path != finding.file_path:
                found.append(f"{path} is not a {language} manifest or lock file")
        if finding.file_path and finding.file_path not in files:
            found.append(f"the finding's {finding.file_path} is not among {files}")
        if finding.dependency_name and approach and finding.dependency_name not in approach:
            found.append(f"the approach does not name {finding.dependency_name}")
    else:
        if finding.file_path and finding.file_path not in files:
            found.append(f"the finding's file {finding.file_path} is not among {files}")
        extensions = EXTENSIONS.get(language)
        for path in files:
            if path == finding.file_path:
                continue
            if not re.search(r"(^|/)(tests?|spec)(/|_)|[._]test\.|_test\.|Tests?\.", path):
                found.append(f"{path} is neither the finding's file nor a test")
            elif extensions and not path.endswith(extensions):
                found.append(f"test {path} is not a {language} file")
    if diff is not None:
        touched = re.findall(r"^\+\+\+ b/(.+)$", diff, re.MULTILINE)
        if sorted(touched) != sorted(files):
            found.append(f"the diff touches {touched}, not {files}")
        found += hunk_problems(diff)
    return found


_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def hunk_problems(diff: str) -> list[str]:
    """Hunks whose line counts do not match their lines (what `git apply --check` rejects first)."""
    found, lines, i = [], diff.splitlines(), 0
    while i < len(lines):
        match = _HUNK.match(lines[i])
        i += 1
        if not match:
            continue
        old, new = int(match.group(2) or 1), int(match.group(4) or 1)
        while i < len(lines) and (old > 0 or new > 0) and lines[i][:1] in (" ", "-", "+"):
            kind = lines[i][:1]
            old -= kind in (" ", "-")
            new -= kind in (" ", "+")
            i += 1
        if old or new:
            found.append(f"hunk {match.group(0)} does not add up")
    return found
