"""The scanner parsers against every real scanner file in ../shared/scanner_samples.

Counts were verified by reading the files (and against SOURCES.md's "size of data"):
- Flawfinder has 54 results, one of kind "pass" (a check, not a finding): 53 records;
- Anchore marks all 429 results suppressed, ESLint all 12;
- souschef's code-scanning export: open 21, dismissed 17, fixed 5 -> 22 suppressed;
- psychomodels' Dependabot export: open 98, fixed 21, auto_dismissed 10 -> 31 suppressed;
- Snyk container: 25 OS entries are 13 vulnerabilities reached through several paths (Snyk's
  uniqueCount), merged to 13 records, plus 12 in the image's application (juice-shop's npm
  manifest): 25 records, 12 entries merged;
- Trivy Kubernetes: two workloads with 5 vulnerabilities and 5 failed checks each.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from engine.core.fingerprints import fingerprint
from engine.core.models import FindingCategory, Severity
from engine.scanners import ScanParse, detect_format, parse_scan
from engine.scanners.identity import dependency_fingerprint
from tests.scanner_samples import SAMPLES_DIR, needs_samples

pytestmark = needs_samples
SAMPLES = SAMPLES_DIR or Path("scanner-samples-not-found")
SAMPLE_COUNT = 37

# file -> (format, records, suppressed, not_findings)
EXPECTED: dict[str, tuple[str, int, int, int]] = {
    "codeql/AltoroJ2_java.sarif": ("sarif", 10, 0, 0),
    "codeql/defectdojo_codeQL-output_python.sarif": ("sarif", 72, 0, 0),
    "codeql/demo-python_python.sarif": ("sarif", 2, 0, 0),
    "codeql/gitearelease_codeql_go_EMPTY.sarif": ("sarif", 0, 0, 0),
    "codeql/golang-devsecops-demo_codeql_go.sarif": ("sarif", 2, 0, 0),
    "codeql/lgtm_DefectDojo_export_2runs_js_python.sarif": ("sarif", 510, 0, 0),
    "codeql/nconnect_csharp.sarif": ("sarif", 2, 0, 0),
    "codeql/sarif-toolkit_cpp-testing-queries_c.sarif": ("sarif", 1, 0, 0),
    "codeql/vulnerable-express_codeql_js.sarif": ("sarif", 16, 0, 0),
    "github/defectdojo_github_h2_graphql_vulnerabilityAlerts.json": ("dependabot", 1, 0, 0),
    "github/psychomodels_dependabot-alerts.json": ("dependabot", 129, 31, 0),
    "github/souschef_code_scanning_alerts_codeql_snykcode.json": ("github_code_scanning", 43, 22, 0),
    "sarif_other/anchore-0.7.3_results_SUPPRESSIONS_BASELINE.sarif": ("sarif", 429, 429, 0),
    "sarif_other/dependency-check_6.1.2_NO_RULES.sarif": ("sarif", 13, 0, 0),
    "sarif_other/dockle_0_3_15_NO_LOCATIONS.sarif": ("sarif", 4, 0, 0),
    "sarif_other/eslint-8.56.0_iframe-resizer_SUPPRESSIONS.sarif": ("sarif", 12, 12, 0),
    "sarif_other/flawfinder_2.0.19.sarif": ("sarif", 53, 0, 1),
    "sarif_other/no_runs.sarif": ("sarif", 0, 0, 0),
    "semgrep/defectdojo_issue_10191_semgrep-oss-1.69.0.sarif.json": ("sarif", 77, 0, 0),
    "semgrep/defectdojo_semgrep_empty.json": ("semgrep", 0, 0, 0),
    "semgrep/defectdojo_semgrep_high-medium-low-severities.json": ("semgrep", 3, 0, 0),
    "semgrep/defectdojo_semgrep_many_vulns.json": ("semgrep", 48, 0, 0),
    "semgrep/defectdojo_semgrepowasp-benchmark-sample.sarif": ("sarif", 1768, 0, 0),
    "semgrep/pygoat_semgrep-0.114.0.sarif": ("sarif", 46, 0, 0),
    "snyk/defectdojo_snyk_all-projects_many_vulns.json": ("snyk", 4, 0, 0),
    "snyk/defectdojo_snyk_container_issue_9270.json": ("snyk", 25, 0, 0),
    "snyk/defectdojo_snyk_single_project_many_vulns.json": ("snyk", 41, 0, 0),
    "snyk/defectdojo_snyk_single_project_no_vulns.json": ("snyk", 0, 0, 0),
    "snyk/defectdojo_snykcode_issue_9270.sarif.json": ("sarif", 39, 0, 0),
    "trivy/defectdojo_trivy_cvssv4_severity_source.json": ("trivy", 3, 0, 0),
    "trivy/defectdojo_trivy_issue_9333_image.json": ("trivy", 13, 0, 0),
    "trivy/defectdojo_trivy_kubernetes.json": ("trivy", 20, 0, 0),
    "trivy/defectdojo_trivy_legacy_many_vulns.json": ("trivy", 93, 0, 0),
    "trivy/defectdojo_trivy_legacy_no_vuln_NULL.json": ("trivy", 0, 0, 0),
    "trivy/defectdojo_trivy_misconfigurations_and_secrets.json": ("trivy", 5, 0, 0),
    "trivy/trivy-sarif-demo_debug-trivy-results_0.15.0.sarif": ("sarif", 124, 0, 0),
    "trivy/trivy-sarif-demo_report_NO_LOCATIONS.sarif": ("sarif", 10, 0, 0),
}


def discovered() -> list[str]:
    return sorted(
        p.relative_to(SAMPLES).as_posix()
        for p in SAMPLES.glob("*/*")
        if p.is_file() and p.name != "SOURCES.md"
    )


@cache
def parsed(relative: str) -> ScanParse:
    path = SAMPLES / relative
    return parse_scan(path.read_bytes(), path.name)


def record(relative: str, ref: str):
    return next(r for r in parsed(relative).records if r.source_ref == ref)


def test_every_sample_file_is_pinned() -> None:
    files = discovered()
    assert len(files) == SAMPLE_COUNT, (
        f"expected {SAMPLE_COUNT} sample files in {SAMPLES}, found {len(files)}"
    )
    assert files == sorted(EXPECTED)


_HEX20 = re.compile(r"^[0-9a-f]{20}$")


@pytest.mark.parametrize("relative", discovered())
def test_sample_parses_to_pinned_counts(relative: str) -> None:
    fmt, count, suppressed, not_findings = EXPECTED[relative]
    data = (SAMPLES / relative).read_bytes()
    assert detect_format(data) == fmt
    parse = parsed(relative)
    assert parse.format == fmt
    assert len(parse.records) == count
    assert sum(r.suppressed for r in parse.records) == suppressed
    assert parse.not_findings == not_findings
    assert parse.format_label and parse.tools is not None
    if count == 0:
        assert parse.empty_reason and len(parse.empty_reason) > 20 and " " in parse.empty_reason
    else:
        assert parse.empty_reason is None


@pytest.mark.parametrize("relative", [f for f in discovered() if EXPECTED.get(f, ("", 0))[1]])
def test_sample_records_are_well_formed(relative: str) -> None:
    records = parsed(relative).records
    fingerprints = [r.fingerprint for r in records]
    assert len(set(fingerprints)) == len(fingerprints), "fingerprints must be distinct within a file"
    for r in records:
        assert _HEX20.match(r.fingerprint)
        assert r.title and "\n" not in r.title and len(r.title) <= 200
        assert r.description is None or 0 < len(r.description) <= 4000
        assert r.line_number is None or r.line_number >= 1
        if r.file_path is not None:
            assert not r.file_path.startswith(("/", "./")) and "\\" not in r.file_path and r.file_path
        assert r.cwe_id is None or re.match(r"^CWE-\d+$", r.cwe_id)
        assert (r.suppression is not None) == r.suppressed
        assert r.source_ref and r.scanner
    again = parse_scan((SAMPLES / relative).read_bytes(), "again")
    assert [r.fingerprint for r in again.records] == fingerprints, "parsing must be deterministic"


# --- hand-checked values, one or more per format -------------------------------------------


def test_codeql_rules_in_extensions() -> None:
    """demo-python: driver.rules is empty; the result points at extensions[0].rules[34]."""
    r = record("codeql/demo-python_python.sarif", "runs[0].results[0]")
    assert r.scanner == "CodeQL"
    assert r.rule_id == "py/sql-injection"
    assert r.title == "SQL query built from user-controlled sources"
    assert r.file_path == "server/routes.py" and r.line_number == 16
    assert r.severity is Severity.high  # security-severity "8.8" in the extension's rule
    assert r.cwe_id == "CWE-89"  # tag "external/cwe/cwe-089"
    assert r.category is FindingCategory.sql_injection
    assert r.language == "python"  # automationDetails "/language:python/"
    assert r.description.startswith("This SQL query depends on a user-provided value.")  # [..](1) resolved
    assert r.fingerprint == fingerprint(
        "sarif-fp", "codeql", "py/sql-injection", "primaryLocationLineHash", "a452eeb604f1a3e6:1"
    )


def test_codeql_extension_at_index_20() -> None:
    """AltoroJ2: 27 extensions, the rules live in extensions[20]."""
    r = record("codeql/AltoroJ2_java.sarif", "runs[0].results[0]")
    assert (r.rule_id, r.title, r.cwe_id, r.category) == ("java/xss", "Cross-site scripting", "CWE-79", "xss")
    assert r.severity is Severity.medium  # security-severity "6.1"
    assert r.file_path == "src/com/ibm/security/appscan/altoromutual/servlet/SurveyServlet.java"
    assert r.line_number == 101
    severities = Counter(x.severity for x in parsed("codeql/AltoroJ2_java.sarif").records)
    assert severities == {Severity.high: 7, Severity.medium: 3}


def test_old_codeql_without_security_severity_uses_rule_levels() -> None:
    records = parsed("codeql/defectdojo_codeQL-output_python.sarif").records
    by_rule = {(r.rule_id, r.severity) for r in records}
    assert ("py/unused-import", Severity.low) in by_rule  # defaultConfiguration level "note"
    assert ("py/sql-injection", Severity.high) in by_rule  # level "error"
    assert ("py/unreachable-statement", Severity.medium) in by_rule  # level "warning"


def test_lgtm_two_runs_keep_their_own_rule_indexes() -> None:
    relative = "codeql/lgtm_DefectDojo_export_2runs_js_python.sarif"
    first = record(relative, "runs[0].results[0]")
    second = record(relative, "runs[1].results[0]")
    # Both results say ruleIndex 0, which names a different rule in each run.
    assert first.title == "Unused variable, import, function or class" and first.language == "javascript"
    assert second.title == "Use of the return value of a procedure" and second.language == "python"
    assert second.severity is Severity.medium  # defaultConfiguration {} -> SARIF default "warning"
    assert Counter(r.language for r in parsed(relative).records) == {"python": 452, "javascript": 58}


def test_semgrep_sarif_word_security_severity() -> None:
    relative = "semgrep/defectdojo_issue_10191_semgrep-oss-1.69.0.sarif.json"
    r = record(relative, "runs[0].results[0]")
    assert r.scanner == "Semgrep OSS"
    assert r.severity is Severity.medium  # security-severity "MEDIUM", no result level
    assert r.cwe_id == "CWE-22" and r.category is FindingCategory.path_traversal  # tag "CWE-22"
    assert r.file_path == "Gruntfile.js" and r.line_number == 75
    counts = Counter(x.severity for x in parsed(relative).records)
    assert counts == {Severity.medium: 42, Severity.critical: 34, Severity.high: 1}


def test_semgrep_json_severities_and_paths() -> None:
    many = parsed("semgrep/defectdojo_semgrep_many_vulns.json").records
    assert Counter(r.severity for r in many) == {Severity.medium: 35, Severity.high: 13}  # WARNING / ERROR
    r = record("semgrep/defectdojo_semgrep_high-medium-low-severities.json", "results[0]")
    assert r.severity is Severity.low
    assert r.file_path == (
        "Users/user.example/git/company/full-codebase/company/lead-magnet/src/templates/base.html.twig"
    )
    assert r.line_number == 48


def test_trivy_legacy_list_layout() -> None:
    r = record("trivy/defectdojo_trivy_legacy_many_vulns.json", "[0].Vulnerabilities[0]")
    assert r.rule_id == "CVE-2011-3374"
    assert (r.dependency_name, r.current_version) == ("apt", "1.8.2.2")
    assert r.severity is Severity.low and r.cwe_id == "CWE-347"
    assert r.category is FindingCategory.dependency_vulnerability
    assert r.file_path is None  # target "debian (debian 10.8)" is an OS, not a file
    assert r.fingerprint == dependency_fingerprint("debian", "apt", "CVE-2011-3374")


def test_trivy_misconfigurations_and_secrets() -> None:
    relative = "trivy/defectdojo_trivy_misconfigurations_and_secrets.json"
    categories = Counter(r.category for r in parsed(relative).records)
    assert categories == {
        FindingCategory.dependency_vulnerability: 2,
        FindingCategory.hardcoded_secret: 2,
        FindingCategory.other: 1,
    }
    secret = record(relative, "Results[2].Secrets[0]")
    assert (secret.file_path, secret.line_number, secret.rule_id) == ("Dockerfile", 24, "github-pat")
    assert secret.severity is Severity.critical
    check = record(relative, "Results[1].Misconfigurations[0]")
    assert (check.rule_id, check.file_path, check.severity) == ("DS002", "Dockerfile", Severity.high)
    vuln = record(relative, "Results[0].Vulnerabilities[0]")
    assert (vuln.file_path, vuln.language, vuln.fixed_version) == ("requirements.txt", "python", "1.26.5")


def test_trivy_kubernetes_resources() -> None:
    relative = "trivy/defectdojo_trivy_kubernetes.json"
    check = record(relative, "Misconfigurations[0].Results[0].Misconfigurations[0]")
    assert check.file_path is None  # "Deployment/redis-follower" is a resource, not a file
    assert "Kubernetes default/Deployment/redis-follower" in check.description
    vulns = [r for r in parsed(relative).records if r.category is FindingCategory.dependency_vulnerability]
    assert len(vulns) == 10


def test_trivy_sarif_image_uri_is_not_a_path() -> None:
    relative = "trivy/trivy-sarif-demo_debug-trivy-results_0.15.0.sarif"
    image = record(relative, "runs[0].results[0]")
    assert image.file_path is None
    assert "Location: knqyf263/vuln-image (alpine 3.7.1)" in image.description
    assert (image.dependency_name, image.current_version, image.fixed_version) == (
        "curl",
        "7.61.0-r0",
        "7.61.1-r0",
    )
    assert image.severity is Severity.critical  # rule tag "CRITICAL"; level is "error"
    paths = Counter(r.file_path for r in parsed(relative).records)
    assert paths[None] == 64 and paths["python-app/Pipfile.lock"] == 23  # ROOTPATH "/" base


def test_trivy_sarif_severity_in_rule_id() -> None:
    records = parsed("trivy/trivy-sarif-demo_report_NO_LOCATIONS.sarif").records
    assert [r.severity.value for r in records][4:] == ["high", "high", "high", "medium", "low", "low"]
    assert all(r.file_path is None and r.line_number is None for r in records)  # "locations": []


def test_anchore_all_suppressed_with_severity_from_text() -> None:
    records = parsed("sarif_other/anchore-0.7.3_results_SUPPRESSIONS_BASELINE.sarif").records
    assert {r.suppression for r in records} == {"external"}
    # "Severity=Low" 257, "Severity=Negligible" 89 -> low; "Severity=Medium" 83.
    assert Counter(r.severity for r in records) == {Severity.low: 346, Severity.medium: 83}
    first = records[0]
    assert (first.dependency_name, first.current_version) == ("bash", "4.3-14ubuntu1.4")  # rule help text
    assert first.fingerprint == dependency_fingerprint("Dockerfile", "bash", "CVE-2019-18276")


def test_dependency_check_four_slash_uri_and_purl() -> None:
    r = record("sarif_other/dependency-check_6.1.2_NO_RULES.sarif", "runs[0].results[4]")
    assert r.rule_id == "CVE-2012-6708"
    # file:////src/... : the /src mount of the dependency-check container is the repository root
    folder = ".venv/lib/python3.9/site-packages/tastypie_swagger/static/tastypie_swagger/js/lib"
    assert r.file_path == f"{folder}/jquery-1.8.0.min.js"
    assert r.dependency_name == "jquery"  # from the artifact's pkg:javascript/jquery@1.8.0.min
    assert r.severity is Severity.medium  # properties.cvssv3_baseSeverity "MEDIUM"; level says "error"
    first = record("sarif_other/dependency-check_6.1.2_NO_RULES.sarif", "runs[0].results[0]")
    assert first.severity is Severity.low  # properties.severity "low"


def test_flawfinder_cwe_from_relationships_and_pass_result() -> None:
    r = record("sarif_other/flawfinder_2.0.19.sarif", "runs[0].results[0]")
    # CWE-327 (a broken or risky algorithm) is weak cryptography, not missing encryption
    assert (r.rule_id, r.cwe_id, r.category) == ("FF1048", "CWE-327", FindingCategory.weak_cryptography)
    assert r.file_path == "src/tree/param.cc"  # uriBaseId "SRCROOT"
    assert r.fingerprint == fingerprint(
        "sarif-fp",
        "flawfinder",
        "FF1048",
        "contextHash/v1",
        "e6c1ad2b1d96ffc4035ed8df070600566ad240b8ded025dac30620f3fd4aa9fd",
    )


def test_eslint_in_source_suppressions() -> None:
    records = parsed("sarif_other/eslint-8.56.0_iframe-resizer_SUPPRESSIONS.sarif").records
    assert {r.suppression for r in records} == {"inSource"}  # empty justification
    assert records[0].file_path == "Users/davidbradshaw/dev/iframe-resizer/src/iframeResizer.contentWindow.js"


def test_dockle_results_without_locations() -> None:
    r = record("sarif_other/dockle_0_3_15_NO_LOCATIONS.sarif", "runs[0].results[0]")
    assert (r.file_path, r.line_number) == (None, None)
    assert r.title == "Do not store credential in ENVIRONMENT vars/files"
    assert r.category is FindingCategory.hardcoded_secret and r.severity is Severity.high


def test_snyk_code_cwe_list_and_numbered_fingerprints() -> None:
    r = record("snyk/defectdojo_snykcode_issue_9270.sarif.json", "runs[0].results[0]")
    assert (r.rule_id, r.cwe_id, r.category) == ("javascript/XSS", "CWE-79", FindingCategory.xss)
    assert r.fingerprint == fingerprint(
        "sarif-fp",
        "snykcode",
        "javascript/XSS",
        "0",
        "041274fc0869f892f98d45c0bd6903f2cfad48bc93a806c69ccfdb2c86f32781",
    )


def test_snyk_all_projects_backslash_path() -> None:
    r = record("snyk/defectdojo_snyk_all-projects_many_vulns.json", "[1].vulnerabilities[0]")
    assert r.file_path == "project-a/pom.xml"  # displayTargetFile "project-a\\pom.xml"
    assert r.service_name == "com.test:project-a"
    assert (r.dependency_name, r.current_version) == ("com.google.guava:guava", "22.0")
    assert r.fixed_version == "30.0-android, 30.0-jre"
    assert r.title == "Information Disclosure in com.google.guava:guava (CVE-2020-8908)"
    assert r.cwe_id == "CWE-200" and r.severity is Severity.medium


def test_snyk_container_merges_paths_and_reads_applications() -> None:
    parse = parsed("snyk/defectdojo_snyk_container_issue_9270.json")
    assert parse.merged == 12
    gcc = record("snyk/defectdojo_snyk_container_issue_9270.json", "vulnerabilities[0]")
    assert gcc.description.startswith("Introduced through 4 dependency paths:")
    assert gcc.service_name == "sarim04/juiceshop"
    app = [r for r in parse.records if r.source_ref.startswith("applications[0]")]
    assert len(app) == 12 and {r.file_path for r in app} == {"juice-shop/package.json"}
    assert {r.service_name for r in app} == {"juice-shop"}


def test_dependabot_rest_states_and_collisions() -> None:
    relative = "github/psychomodels_dependabot-alerts.json"
    records = parsed(relative).records
    assert Counter(r.suppression for r in records) == {
        None: 98,
        "state: fixed": 21,
        "state: auto_dismissed": 10,
    }
    r = records[0]
    assert (r.rule_id, r.dependency_name, r.file_path, r.fixed_version) == (
        "CVE-2026-41907",
        "uuid",
        "yarn.lock",
        "11.1.1",
    )
    assert r.repo_url == "https://github.com/PsychoModels/psychomodels"
    # picomatch 2.x and 4.x in one yarn.lock: alerts #94 (file position 39) and #76 (57) for
    # one advisory. The older alert keeps the base identity, whatever the export's order.
    base = dependency_fingerprint("yarn.lock", "picomatch", "CVE-2026-33671")
    assert record(relative, "[57]").fingerprint == base
    assert record(relative, "[39]").fingerprint == fingerprint(base, "#2")


def test_dependabot_graphql() -> None:
    r = record(
        "github/defectdojo_github_h2_graphql_vulnerabilityAlerts.json",
        "data.repository.vulnerabilityAlerts.nodes[0]",
    )
    assert (r.rule_id, r.dependency_name, r.severity, r.cwe_id) == (
        "CVE-2021-42392",
        "com.h2database:h2",
        Severity.critical,
        "CWE-502",
    )
    assert r.file_path == "apache/cxf/syncope/cxf-syncope/pom.xml"
    assert r.title == "RCE in H2 Console in com.h2database:h2 (CVE-2021-42392)"


def test_github_code_scanning_states() -> None:
    relative = "github/souschef_code_scanning_alerts_codeql_snykcode.json"
    records = parsed(relative).records
    reasons = Counter(r.suppression for r in records)
    assert reasons[None] == 21 and reasons["dismissed: used in tests"] == 15 and reasons["state: fixed"] == 5
    assert Counter(r.scanner for r in records) == {"CodeQL": 41, "SnykCode": 2}
    tar = record(relative, "[0]")
    assert (tar.rule_id, tar.file_path, tar.line_number) == (
        "python/TarSlip",
        "ui/pages/cookbook_analysis.py",
        308,
    )
    assert tar.category is FindingCategory.path_traversal
    assert tar.repo_url == "https://github.com/kpeacocke/souschef"
