"""The simulated agent's work fits the finding in the prompt: approach, files, tests and diff
follow its category, language and file. Exercised over real HTTP: the engine's own prompt goes
to the simulator, and the pull request it reports is fetched from the simulator's page."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from engine.core.models import Finding, FindingCategory, Severity
from engine.devin.playbooks import load_playbook
from engine.devin.prompt import STRUCTURED_OUTPUT_SCHEMA, build_prompt
from engine.simulator import SimulatorServer
from tests.fix_oracle import problems

AUTH = {"Authorization": "Bearer test-key"}


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorServer]:
    with SimulatorServer(seed=3, speed=5000.0, failure_rate=0.0) as server:
        yield server


def finding(category: FindingCategory, language: str | None, file_path: str | None, **extra: Any) -> Finding:
    return Finding(
        finding_id=extra.pop("finding_id", f"F-{category.value[:12]}"),
        scanner=extra.pop("scanner", "semgrep"),
        category=category,
        severity=Severity.high,
        title=extra.pop("title", f"{category.value} in the service"),
        service_name="web",
        repo_url=extra.pop("repo_url", "https://github.com/acme/web"),
        file_path=file_path,
        line_number=extra.pop("line_number", 42),
        language=language,
        **extra,
    )


def run_session(sim: SimulatorServer, f: Finding, attempt: int = 1, **body: Any) -> dict[str, Any]:
    playbook = load_playbook(f.category)
    prompt = build_prompt(f, playbook.title, playbook.body, attempt)
    payload = {"prompt": prompt, "structured_output_schema": STRUCTURED_OUTPUT_SCHEMA, **body}
    created = requests.post(f"{sim.base_url}/sessions", json=payload, headers=AUTH, timeout=5)
    assert created.status_code == 200, created.text
    session_id = created.json()["session_id"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        detail = requests.get(f"{sim.base_url}/sessions/{session_id}", headers=AUTH, timeout=5).json()
        out = detail["structured_output"] or {}
        if out.get("current_step") in ("completed", "failed") or detail["status"] == "suspended":
            return detail
        time.sleep(0.02)
    raise AssertionError("the session did not finish")


def pull_diff(detail: dict[str, Any]) -> str:
    url = detail["structured_output"]["pr_url"]
    response = requests.get(f"{url}.diff", timeout=5)
    assert response.status_code == 200, url
    assert response.headers["Content-Type"].startswith("text/x-diff")
    return response.text


DEPENDENCIES = [
    # (language, the scanner's file, files the upgrade changes)
    ("typescript", "package.json", ["package.json", "package-lock.json"]),
    (
        "javascript",
        "services/web/package-lock.json",
        ["services/web/package.json", "services/web/package-lock.json"],
    ),
    ("javascript", "yarn.lock", ["package.json", "yarn.lock"]),
    ("java", "pom.xml", ["pom.xml"]),
    ("java", "payments/build.gradle", ["payments/build.gradle"]),
    ("python", "requirements.txt", ["requirements.txt"]),
    ("python", "poetry.lock", ["pyproject.toml", "poetry.lock"]),
    ("python", "python-app/Pipfile.lock", ["python-app/Pipfile", "python-app/Pipfile.lock"]),
    ("go", "go.sum", ["go.mod", "go.sum"]),
    ("ruby", "Gemfile.lock", ["Gemfile", "Gemfile.lock"]),
    ("rust", "Cargo.lock", ["Cargo.toml", "Cargo.lock"]),
    ("csharp", "src/Api/Api.csproj", ["src/Api/Api.csproj"]),
    ("php", "composer.lock", ["composer.json", "composer.lock"]),
    ("typescript", None, ["package.json", "package-lock.json"]),  # no file: the language's manifest
    ("python", None, ["requirements.txt"]),
]


@pytest.mark.parametrize(("language", "given", "files"), DEPENDENCIES)
def test_a_dependency_upgrade_changes_that_ecosystems_manifest_and_lock_file(
    sim: SimulatorServer, language: str, given: str | None, files: list[str]
) -> None:
    f = finding(
        FindingCategory.dependency_vulnerability,
        language,
        given,
        dependency_name="lodash" if language in ("javascript", "typescript") else "examplelib",
        current_version="4.17.15",
        fixed_version="4.17.21",
    )
    detail = run_session(sim, f)
    out = detail["structured_output"]
    assert out["current_step"] == "completed"
    assert out["files_modified"] == files
    assert "from 4.17.15 to 4.17.21" in out["fix_approach"]
    diff = pull_diff(detail)
    assert problems(f, out["fix_approach"], out["files_modified"], diff) == []
    assert "-" in diff and "4.17.21" in diff


def test_a_javascript_lodash_upgrade_never_touches_pom_xml(sim: SimulatorServer) -> None:
    """The demo's PW-0017 once reported pom.xml among its files (the playbook's text names it)."""
    f = finding(
        FindingCategory.dependency_vulnerability,
        "typescript",
        "package.json",
        dependency_name="lodash",
        current_version="4.17.15",
        fixed_version="4.17.21",
        title="Command injection via lodash template (CVE-2021-23337)",
    )
    out = run_session(sim, f)["structured_output"]
    assert out["files_modified"] == ["package.json", "package-lock.json"]
    assert "npm" in " ".join(out["tests_run"]) and "mvn" not in " ".join(out["tests_run"])


CODE = [
    (FindingCategory.sql_injection, "java", "src/main/java/com/acme/web/OrderRepository.java"),
    (FindingCategory.sql_injection, "python", "app/repositories/orders.py"),
    (FindingCategory.sql_injection, "typescript", "src/repositories/orders.ts"),
    (FindingCategory.sql_injection, "go", "internal/store/orders.go"),
    (FindingCategory.xss, "typescript", "src/views/product.ejs"),
    (FindingCategory.xss, "php", "public/search.php"),
    (FindingCategory.hardcoded_secret, "java", "src/main/java/com/acme/web/StripeConfig.java"),
    (FindingCategory.hardcoded_secret, "python", "app/config.py"),
    (FindingCategory.path_traversal, "python", "app/routes/avatars.py"),
    (FindingCategory.pii_logging, "java", "src/main/java/com/acme/web/PaymentService.java"),
    (FindingCategory.missing_encryption, "python", "app/models/user.py"),
    (FindingCategory.access_logging, "typescript", "src/middleware/auth.ts"),
    (FindingCategory.command_injection, "python", "app/images.py"),
    (FindingCategory.command_injection, "go", "cmd/convert/main.go"),
    (FindingCategory.code_injection, "javascript", "src/calc.js"),
    (FindingCategory.ssrf, "java", "src/main/java/com/acme/web/WebhookClient.java"),
    (FindingCategory.xxe, "csharp", "src/Import/InvoiceParser.cs"),
    (FindingCategory.insecure_deserialization, "python", "app/session.py"),
    (FindingCategory.weak_cryptography, "java", "src/main/java/com/acme/web/Tokens.java"),
    (FindingCategory.open_redirect, "python", "app/routes/login.py"),
    (FindingCategory.csrf, "python", "app/views/transfer.py"),
    (FindingCategory.input_validation, "typescript", "src/routes/orders.ts"),
    (FindingCategory.broken_authentication, "javascript", "src/routes/export.js"),
    (FindingCategory.missing_authorization, "python", "app/views/orders.py"),
    (FindingCategory.memory_safety, "c", "src/parser.c"),
    (FindingCategory.race_condition, "go", "internal/counter/counter.go"),
    (FindingCategory.resource_exhaustion, "javascript", "src/server.js"),
    (FindingCategory.null_dereference, "java", "src/main/java/com/acme/web/UserController.java"),
    (FindingCategory.integer_overflow, "c", "src/alloc.c"),
    (FindingCategory.file_upload, "python", "app/uploads.py"),
    (FindingCategory.csv_injection, "python", "app/exports.py"),
    (FindingCategory.information_exposure, "typescript", "src/app.ts"),
    (FindingCategory.missing_integrity_check, "python", "app/webhooks.py"),
    (FindingCategory.error_handling, "python", "app/loader.py"),
    (FindingCategory.code_quality, "javascript", "src/util.js"),
]


@pytest.mark.parametrize(("category", "language", "path"), CODE)
def test_a_code_fix_edits_the_flagged_file_and_adds_a_test_in_its_language(
    sim: SimulatorServer, category: FindingCategory, language: str, path: str
) -> None:
    f = finding(category, language, path)
    detail = run_session(sim, f)
    out = detail["structured_output"]
    assert out["current_step"] == "completed", out
    assert out["files_modified"][0] == path
    assert out["tests_run"] and out["tests_added"] >= 1
    assert problems(f, out["fix_approach"], out["files_modified"], pull_diff(detail)) == []


def test_other_is_fixed_as_its_cwe_says(sim: SimulatorServer) -> None:
    """The sample's PW-0008 is filed as `other` with CWE-338: the fix is a secure random source."""
    f = finding(
        FindingCategory.other,
        "java",
        "src/main/java/com/acme/payments/util/IdempotencyKeyGenerator.java",
        cwe_id="CWE-338",
    )
    out = run_session(sim, f)["structured_output"]
    assert "SecureRandom" in out["fix_approach"]
    assert problems(f, out["fix_approach"], out["files_modified"]) == []


def test_a_finding_without_a_file_gets_a_plausible_module_of_its_language(sim: SimulatorServer) -> None:
    f = finding(FindingCategory.ssrf, "python", None)
    out = run_session(sim, f)["structured_output"]
    assert out["files_modified"] == ["app/security/ssrf.py", "tests/test_ssrf.py"]


def test_infrastructure_fixes_are_checked_by_tools_not_unit_tests(sim: SimulatorServer) -> None:
    f = finding(FindingCategory.missing_encryption, "terraform", "infra/storage.tf")
    out = run_session(sim, f)["structured_output"]
    assert out["files_modified"] == ["infra/storage.tf"]
    assert out["tests_run"] == ["terraform fmt -check", "terraform validate", "checkov -f infra/storage.tf"]
    assert "KMS" in out["fix_approach"]
