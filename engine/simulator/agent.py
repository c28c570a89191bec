"""The work a simulated agent does on one finding: its approach, the files it changes, the diff,
the tests it adds and runs, and what such a fix costs, all following the finding's category,
language and file (engine.simulator.finding). Deterministic: the same finding and rng state
give the same work."""

from __future__ import annotations

import posixpath
import random
import re
from dataclasses import dataclass

from engine.core.models import FindingCategory
from engine.simulator import diffs
from engine.simulator.code_profiles import code_file, default_source_path, test_commands, test_path
from engine.simulator.ecosystems import OS_PACKAGES, ecosystem_for, is_manifest, version_lines
from engine.simulator.finding import TaskFinding
from engine.simulator.fixes import FIXES, CategoryFix
from engine.simulator.fixes_top25 import TOP25_FIXES
from engine.simulator.snippets import _S as BASE_SNIPPETS
from engine.simulator.snippets import Snippet
from engine.simulator.snippets_more import MORE_SNIPPETS
from engine.simulator.snippets_top25 import TOP25_SNIPPETS

ALL_FIXES: dict[str, CategoryFix] = {**FIXES, **TOP25_FIXES}
SNIPPETS: dict[str, dict[str, Snippet]] = {**BASE_SNIPPETS, **TOP25_SNIPPETS, **MORE_SNIPPETS}
DEPENDENCY = CategoryFix(
    "a vulnerable dependency",
    "",
    {"*": ""},
    "",
    "",
    (1.0, 3.0),
    (0.88, 0.98),
    (
        "Upgrading {pkg} to {fixed} breaks the build: {n} call sites use an API the new major version "
        "removed, and the migration is larger than this finding.",
        "{pkg} {fixed} is not compatible with the runtime the service deploys on; the base image has to "
        "be upgraded first.",
    ),
)
_VARS = {
    "sql_injection": "customer_id", "xss": "query", "path_traversal": "filename",
    "command_injection": "filename", "code_injection": "expression", "injection": "username",
    "ssrf": "url", "xxe": "body", "insecure_deserialization": "session", "open_redirect": "next",
    "csrf": "transfer", "input_validation": "quantity", "broken_authentication": "export",
    "missing_authorization": "order_id", "memory_safety": "name", "resource_exhaustion": "limit",
    "null_dereference": "user_id", "integer_overflow": "length", "error_handling": "config",
    "code_quality": "total", "access_logging": "refund", "hardcoded_secret": "api_key",
    "pii_logging": "email", "missing_encryption": "ssn", "weak_cryptography": "token",
    "race_condition": "amount", "file_upload": "upload", "csv_injection": "export",
    "information_exposure": "error", "missing_integrity_check": "payload", "other": "value",
}  # fmt: skip
_CODE_HARD_FAILURES = (
    "The fix changes behaviour that {n} existing integration test(s) rely on; the intended behaviour "
    "needs a decision from the service owners.",
)
_CAMEL_FAMILIES = frozenset({"java", "js", "go", "csharp", "template"})
_SANITIZED = frozenset({"memory_safety", "integer_overflow", "null_dereference"})


@dataclass(frozen=True)
class FixWork:
    category: str  # the category the fix follows (FindingCategory value)
    weakness: str
    approach: str
    files: tuple[str, ...]
    tests_run: tuple[str, ...]
    tests_added: int
    test_file: str | None
    diff: str
    acus: float  # what the fix takes when it succeeds
    confidence: float  # final confidence when it succeeds
    hard_failure: str  # why it fails when the finding is one the agent cannot fix


def plan_fix(task: TaskFinding, rng: random.Random) -> FixWork:
    if task.category == FindingCategory.dependency_vulnerability:
        return _dependency_fix(task, rng)
    return _code_fix(task, rng)


# -- dependency upgrades ------------------------------------------------------------------------


def _dependency_fix(task: TaskFinding, rng: random.Random) -> FixWork:
    pkg = task.dependency_name or "the vulnerable package"
    current = task.current_version or "0.0.0"
    fixed = _first_version(task.fixed_version) or _next_patch(current)
    eco = ecosystem_for(task.file_path, task.language)
    given_manifest = is_manifest(task.file_path)
    line = task.line_number or rng.randint(8, 60)
    if task.file_path and not given_manifest and eco is not OS_PACKAGES and task.language:
        files = [task.file_path]  # a vendored copy of the library: replaced in place
        diff = diffs.changed_file(
            task.file_path, 1, [], [f"/*! {pkg} v{current} */"], [f"/*! {pkg} v{fixed} */"]
        )
        approach = f"Replace the vendored {pkg} {current} in {task.file_path} with the patched {fixed}."
    else:
        folder = posixpath.dirname(task.file_path) if given_manifest else ""
        files = eco.files(folder, task.file_path if given_manifest else "")
        parts = []
        for index, path in enumerate(files):
            context, removed, added = version_lines(eco, posixpath.basename(path), pkg, current, fixed)
            at = line if index == 0 else rng.randint(20, 900)
            parts.append(diffs.changed_file(path, at, context, removed, added))
        diff = "".join(parts)
        approach = _dependency_approach(eco.name, pkg, current, fixed, files)
    commands = tuple(c.format(pkg=pkg, to=fixed) for c in _commands_for(eco, files))
    low, high = DEPENDENCY.acus
    major = _major(current) != _major(fixed)
    acus = rng.uniform(low, high) + (1.5 if major else 0.0)
    confidence = rng.uniform(*DEPENDENCY.confidence) - (0.1 if major else 0.0)
    reason = rng.choice(DEPENDENCY.hard_failures).format(pkg=pkg, fixed=fixed, n=rng.randint(3, 40))
    return FixWork(
        category=FindingCategory.dependency_vulnerability.value,
        weakness=f"vulnerable {pkg} {current}",
        approach=approach
        + (
            f" This crosses a major version ({current} -> {fixed}); the changed APIs are adapted."
            if major
            else ""
        ),
        files=tuple(files),
        tests_run=commands,
        tests_added=0,
        test_file=None,
        diff=diff,
        acus=acus,
        confidence=confidence,
        hard_failure=reason,
    )


def _dependency_approach(eco: str, pkg: str, current: str, fixed: str, files: list[str]) -> str:
    where = files[0]
    lock = f" and regenerate {', '.join(files[1:])}" if len(files) > 1 else ""
    tail = {
        "npm": f"; npm audit no longer reports {pkg}",
        "maven": f"; mvn dependency:tree shows no module still resolving {current}",
        "gradle": f"; the runtime classpath resolves {pkg} {fixed} everywhere",
        "pip": f"; pip-audit is clean for {pkg}",
        "poetry": f"; poetry show {pkg} reports {fixed}",
        "pipenv": f"; pipenv check is clean for {pkg}",
        "uv": f"; uv tree shows {pkg} {fixed}",
        "go": "; go mod tidy keeps go.sum consistent and govulncheck is clean",
        "bundler": "; bundle audit is clean",
        "cargo": "; cargo audit is clean",
        "nuget": "; dotnet list package --vulnerable is clean",
        "composer": "; composer audit is clean",
        "os": "; the image scan no longer reports it",
    }.get(eco, "")
    if eco == "os":
        return f"Rebuild the image with the patched {pkg} {fixed} (pinned in {where}){tail}."
    return f"Upgrade {pkg} from {current} to {fixed} in {where}{lock}{tail}."


def _commands_for(eco, files: list[str]) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    folder = posixpath.dirname(files[0]) if files else ""
    prefix = (
        f"cd {folder} && "
        if folder and eco.name in ("npm", "maven", "gradle", "go", "cargo", "composer")
        else ""
    )
    return tuple(prefix + command for command in eco.commands)


def _first_version(value: str) -> str:
    match = re.search(r"v?(\d+(?:\.[0-9A-Za-z-]+)*)", value)
    return match.group(1) if match else ""


def _next_patch(version: str) -> str:
    parts = re.findall(r"\d+", version)
    if not parts:
        return "1.0.1"
    parts = [*parts[:3], "0", "0"][:3]
    return f"{parts[0]}.{parts[1]}.{int(parts[2]) + 1}"


def _major(version: str) -> str:
    match = re.match(r"\D*(\d+)", version)
    return match.group(1) if match else ""


# -- code fixes ---------------------------------------------------------------------------------


def _code_fix(task: TaskFinding, rng: random.Random) -> FixWork:
    category = task.fix_category.value
    spec = ALL_FIXES.get(category, ALL_FIXES["other"])
    language = task.language or "python"
    path = task.file_path or default_source_path(language, category, task.service_name)
    file = code_file(path, language)
    table = SNIPPETS.get(category, SNIPPETS["other"])
    snippet = table.get(file.family) or table.get(_family_of_language(language, file.family)) or table["*"]
    var = _VARS.get(category, "value")
    if file.family in _CAMEL_FAMILIES:
        var = var.split("_")[0] + "".join(w.capitalize() for w in var.split("_")[1:])
    values = {"name": file.snake, "Name": file.pascal, "NAME": file.snake.upper(), "var": var}
    removed, added = diffs.fill(snippet[0], values), diffs.fill(snippet[1], values)
    line = task.line_number or rng.randint(12, 140)
    test = test_path(file)
    diff = diffs.changed_file(path, line, [], removed, added)
    cases = 0
    if test is not None:
        subject = _subject(file.family, var)
        lines = diffs.test_file_lines(file, test, spec.test_name, spec.payload, subject)
        cases = diffs.test_cases(lines)
        diff += diffs.new_file(test, lines)
    files = (path, *([test] if test else []))
    approach = spec.approach.format(where=posixpath.basename(path), how=spec.mechanism(file.family))
    hard = spec.hard_failures or _CODE_HARD_FAILURES
    return FixWork(
        category=category,
        weakness=spec.weakness,
        approach=approach,
        files=files,
        tests_run=tuple(test_commands(file, test, sanitizers=category in _SANITIZED)),
        tests_added=cases,
        test_file=test,
        diff=diff,
        acus=rng.uniform(*spec.acus),
        confidence=rng.uniform(*spec.confidence),
        hard_failure=rng.choice(hard).format(n=rng.randint(2, 12)),
    )


def _family_of_language(language: str, family: str) -> str:
    """For a template or config file, the snippet of the language it belongs to."""
    from engine.simulator.code_profiles import FAMILY

    return FAMILY.get(language, family)


def _subject(family: str, var: str) -> str:
    if family in _CAMEL_FAMILIES:
        return "process" + var[:1].upper() + var[1:]
    return f"process_{var}"
