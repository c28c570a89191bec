"""Vulnerable dependencies per ecosystem, the manifests that declare them, and their wording."""

from __future__ import annotations

from engine.sample.dependencies_java_python import JAVA_PYTHON_DEPENDENCIES
from engine.sample.dependencies_typescript_go import TYPESCRIPT_GO_DEPENDENCIES
from engine.sample.records import Dep

# Real vulnerable -> fixed versions per ecosystem, with the CVE's CWE.
DEPENDENCIES: dict[str, tuple[Dep, ...]] = {**JAVA_PYTHON_DEPENDENCIES, **TYPESCRIPT_GO_DEPENDENCIES}

# Manifest paths per language; the True ones are lockfiles, reported without a line number.
MANIFESTS: dict[str, tuple[tuple[str, bool], ...]] = {
    "java": tuple(
        (f"{m}pom.xml", False)
        for m in ("", "api/", "core/", "web/", "worker/", "client/", "common/", "batch/")
    ),
    "python": (
        ("requirements.txt", False),
        ("requirements/base.txt", False),
        ("requirements/prod.txt", False),
        ("requirements/worker.txt", False),
        ("constraints.txt", False),
        ("poetry.lock", True),
    ),
    "typescript": (
        ("package.json", False),
        ("packages/api/package.json", False),
        ("packages/worker/package.json", False),
        ("packages/shared/package.json", False),
        ("package-lock.json", True),
        ("yarn.lock", True),
    ),
    "go": (
        ("go.mod", False),
        ("tools/go.mod", False),
        ("cmd/migrate/go.mod", False),
        ("go.sum", True),
    ),
}
MANIFEST_MAX_LINE = 420

DEP_TITLES: tuple[str, ...] = ("{cve}: {short} in {pkg}", "{short} in {pkg} {current} ({cve})")
DEP_DESCRIPTIONS: tuple[str, ...] = (
    "{path} resolves {name} {current}, {summary} {svc} loads this version at runtime. Upgrade "
    "to {fixed} or later.",
    "{name} {current} (declared in {path}) is affected by {cve}, {summary} Upgrade {svc} to "
    "{fixed}, the first release with the fix.",
)
