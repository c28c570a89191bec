"""Scanner parser rules on small hand-written inputs: one test per rule of the spec."""

from __future__ import annotations

import json

import pytest

from engine.core.errors import BadInputError
from engine.core.fingerprints import disambiguate, fingerprint, normalise_text
from engine.core.models import FindingCategory, Severity
from engine.scanners import detect_format, parse_scan
from engine.scanners.identity import code_fingerprint, dependency_fingerprint
from engine.scanners.packages import package_from_purl, package_from_text, vulnerability_id
from engine.scanners.records import ScanParse


def sarif(results: list[dict], rules: list[dict] | None = None, tool: str = "Tool", **run: object) -> bytes:
    driver: dict = {"name": tool, "version": "1.0"}
    if rules is not None:
        driver["rules"] = rules
    log = {"version": "2.1.0", "runs": [{"tool": {"driver": driver}, "results": results, **run}]}
    return json.dumps(log, indent=2).encode()


def result(
    rule_id: str | None = "R1",
    message: str | None = "Bad thing here",
    uri: str = "src/app.py",
    line=10,
    **extra,
):
    found: dict = {}
    if rule_id is not None:
        found["ruleId"] = rule_id
    if message is not None:
        found["message"] = {"text": message}
    location: dict = {"physicalLocation": {"artifactLocation": {"uri": uri}}}
    if line is not None:
        location["physicalLocation"]["region"] = {"startLine": line}
    found["locations"] = [location]
    found.update(extra)
    return found


def parse(data: bytes) -> ScanParse:
    return parse_scan(data, "scan.sarif")


def one(data: bytes):
    records = parse(data).records
    assert len(records) == 1
    return records[0]


# --- fingerprints ---------------------------------------------------------------------------


def test_fingerprint_is_20_hex_and_separates_parts() -> None:
    value = fingerprint("rfm", "tool", "rule")
    assert len(value) == 20 and int(value, 16) >= 0 and value == value.lower()
    assert fingerprint("ab", "c") != fingerprint("a", "bc")
    assert fingerprint("a", "b") == fingerprint("a", "b")


def test_normalise_text_collapses_whitespace_and_case_but_keeps_digits() -> None:
    assert normalise_text("  Use of  MD5\n\tat line 42 ") == "use of md5 at line 42"


def test_disambiguate_counts_occurrences_in_order() -> None:
    a, b = fingerprint("a"), fingerprint("b")
    assert disambiguate([a, b, a, a]) == [a, b, fingerprint(a, "#2"), fingerprint(a, "#3")]
    # With sort keys (alert numbers), the lowest key keeps the base whatever the file order.
    assert disambiguate([a, a], order=[9, 3]) == [fingerprint(a, "#2"), a]
    with pytest.raises(ValueError):
        disambiguate([a], order=[1, 2])


def test_fingerprint_survives_a_line_shift_when_the_result_has_a_message() -> None:
    before = one(sarif([result(line=10)]))
    after = one(sarif([result(line=15)]))
    assert before.line_number == 10 and after.line_number == 15
    assert before.fingerprint == after.fingerprint
    assert before.fingerprint == code_fingerprint("tool", "R1", "src/app.py", "bad thing here")
    # Re-wrapped or re-cased message text is the same message.
    assert one(sarif([result(message="bad   THING\nhere")])).fingerprint == before.fingerprint


def test_fingerprint_falls_back_to_source_line_then_line_number() -> None:
    snippet = {"physicalLocation": {"artifactLocation": {"uri": "a.py"}, "region": {"startLine": 3}}}
    snippet["physicalLocation"]["region"]["snippet"] = {"text": "  eval(x)  "}
    moved = json.loads(json.dumps(snippet))
    moved["physicalLocation"]["region"]["startLine"] = 8
    first = one(sarif([{"ruleId": "R", "locations": [snippet]}]))
    second = one(sarif([{"ruleId": "R", "locations": [moved]}]))
    assert first.fingerprint == second.fingerprint  # same quoted source line
    plain_a = one(sarif([result(message=None, line=3)]))
    plain_b = one(sarif([result(message=None, line=8)]))
    assert plain_a.fingerprint != plain_b.fingerprint  # only the line number is left to tell


def test_tool_fingerprint_is_preferred_and_primary_line_hash_first() -> None:
    prints = {"primaryLocationStartColumnFingerprint": "4", "primaryLocationLineHash": "abc:1"}
    r = one(sarif([result(partialFingerprints=prints, fingerprints={"matchBasedId/v1": "zzz"})]))
    assert r.fingerprint == fingerprint("sarif-fp", "tool", "R1", "primaryLocationLineHash", "abc:1")
    r = one(sarif([result(fingerprints={"1": "second", "0": "first"})]))
    assert r.fingerprint == fingerprint("sarif-fp", "tool", "R1", "0", "first")


def test_collisions_in_one_file_get_occurrence_numbers() -> None:
    records = parse(sarif([result(line=1), result(line=5), result(line=9), result(message="other")])).records
    base = code_fingerprint("tool", "R1", "src/app.py", "bad thing here")
    assert [r.fingerprint for r in records[:3]] == [base, fingerprint(base, "#2"), fingerprint(base, "#3")]
    assert records[3].fingerprint == code_fingerprint("tool", "R1", "src/app.py", "other")


def test_dependency_fingerprint_ignores_version_and_tool() -> None:
    def trivy(version: str) -> bytes:
        vuln = {
            "VulnerabilityID": "CVE-2021-1",
            "PkgName": "Django",
            "InstalledVersion": version,
            "Severity": "HIGH",
        }
        doc = {
            "SchemaVersion": 2,
            "ArtifactName": ".",
            "Results": [{"Target": "requirements.txt", "Vulnerabilities": [vuln]}],
        }
        return json.dumps(doc).encode()

    old, new = one(trivy("3.0")), one(trivy("3.1"))
    assert (
        old.fingerprint
        == new.fingerprint
        == dependency_fingerprint("requirements.txt", "django", "CVE-2021-1")
    )


# --- suppressions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suppressions", "expected"),
    [
        ([{"kind": "external"}], "external"),
        (
            [{"kind": "inSource", "status": "accepted", "justification": "test  fixture"}],
            "inSource: test fixture",
        ),
        ([{"kind": "inSource", "justification": ""}], "inSource"),
        ([{"kind": "external", "status": "underReview"}], None),
        ([{"kind": "external", "status": "rejected"}], None),
        ([{"kind": "external", "status": "rejected"}, {"kind": "inSource"}], "inSource"),
        ([], None),
    ],
)
def test_suppression_status_policy(suppressions: list, expected: str | None) -> None:
    r = one(sarif([result(suppressions=suppressions)]))
    assert r.suppressed is (expected is not None)
    assert r.suppression == expected


def test_absent_baseline_results_are_suppressed() -> None:
    r = one(sarif([result(baselineState="absent")]))
    assert r.suppressed and "absent" in r.suppression
    assert not one(sarif([result(baselineState="unchanged")])).suppressed


@pytest.mark.parametrize("kind", ["pass", "notApplicable", "informational"])
def test_results_that_are_not_findings_are_counted_apart(kind: str) -> None:
    parsed = parse(
        sarif([result(kind=kind), result(kind="fail", message="x"), result(kind="review", message="y")])
    )
    assert parsed.not_findings == 1
    assert len(parsed.records) == 2


def test_only_not_findings_gives_an_empty_reason() -> None:
    parsed = parse(sarif([{"ruleId": "R", "kind": "pass"}]))
    assert parsed.records == [] and "pass" in parsed.empty_reason


# --- severity -------------------------------------------------------------------------------


def rule(rule_id: str = "R1", **fields: object) -> dict:
    return {"id": rule_id, **fields}


@pytest.mark.parametrize(
    ("score", "expected"),
    [("9.0", "critical"), ("8.9", "high"), ("7.0", "high"), ("6.9", "medium"), ("4.0", "medium"),
     ("3.9", "low"), ("0.0", "low"), (9.8, "critical"), ("HIGH", "high"), ("Moderate", "medium")],
)  # fmt: skip
def test_security_severity_numbers_and_words(score: object, expected: str) -> None:
    rules = [rule(properties={"security-severity": score})]
    assert one(sarif([result(ruleIndex=0, level="note")], rules)).severity.value == expected


def test_result_security_severity_beats_the_rules() -> None:
    rules = [rule(properties={"security-severity": "9.5"})]
    r = one(sarif([result(ruleIndex=0, properties={"security-severity": "2.0"})], rules))
    assert r.severity is Severity.low


def test_severity_hidden_in_rule_id_beats_level() -> None:
    assert one(sarif([result(rule_id="[LOW] CVE-2020-1", level="error")])).severity is Severity.low


def test_severity_hidden_in_rule_text_beats_level() -> None:
    rules = [rule(shortDescription={"text": "CVE-1 Severity=Negligible Package=x"})]
    assert one(sarif([result(ruleIndex=0, level="error")], rules)).severity is Severity.low


def test_severity_word_in_result_properties() -> None:
    assert one(sarif([result(level="error", properties={"severity": "low"})])).severity is Severity.low


def test_level_then_rule_default_then_warning() -> None:
    rules = [rule(defaultConfiguration={"level": "error"})]
    assert one(sarif([result(ruleIndex=0, level="note")], rules)).severity is Severity.low
    assert one(sarif([result(ruleIndex=0)], rules)).severity is Severity.high
    assert one(sarif([result(ruleIndex=0)], [rule()])).severity is Severity.medium  # SARIF default "warning"
    assert one(sarif([result(level="none")])).severity is Severity.low


# --- CWE and category -----------------------------------------------------------------------


def test_cwe_from_tags_prefers_one_the_category_table_knows() -> None:
    rules = [rule(properties={"tags": ["security", "external/cwe/cwe-116", "external/cwe/cwe-079"]})]
    r = one(sarif([result(ruleIndex=0)], rules))
    assert (r.cwe_id, r.category) == ("CWE-79", FindingCategory.xss)
    rules = [rule(properties={"tags": ["external/cwe/cwe-190", "external/cwe/cwe-192"]})]
    assert one(sarif([result(ruleIndex=0)], rules)).cwe_id == "CWE-190"  # none known: the first


def test_cwe_from_taxa_properties_and_relationships() -> None:
    taxa = [{"id": "89", "toolComponent": {"name": "CWE"}}]
    assert one(sarif([result(taxa=taxa)])).category is FindingCategory.sql_injection
    rules = [rule(properties={"cwe": ["CWE-22"]})]
    assert one(sarif([result(ruleIndex=0)], rules)).cwe_id == "CWE-22"
    rules = [rule(relationships=[{"target": {"id": "CWE-798", "toolComponent": {"name": "CWE"}}}])]
    r = one(sarif([result(ruleIndex=0)], rules))
    assert (r.cwe_id, r.category) == ("CWE-798", FindingCategory.hardcoded_secret)
    rules = [rule(properties={"tags": ["CWE-532: Insertion of Sensitive Information into Log File"]})]
    assert one(sarif([result(ruleIndex=0)], rules)).category is FindingCategory.pii_logging


def test_category_from_keywords_when_no_cwe() -> None:
    assert one(sarif([result(rule_id="js/sql-concat")])).category is FindingCategory.sql_injection
    assert (
        one(sarif([result(rule_id="generic.secrets.aws-key")])).category is FindingCategory.hardcoded_secret
    )
    assert one(sarif([result(rule_id="style/naming")])).category is FindingCategory.other


def test_dependency_scanner_findings_stay_dependency_vulnerabilities() -> None:
    rules = [rule("CVE-2020-11022", properties={"tags": ["external/cwe/cwe-079"]})]
    r = one(sarif([result(rule_id="CVE-2020-11022", ruleIndex=0)], rules, tool="Grype"))
    assert r.category is FindingCategory.dependency_vulnerability and r.cwe_id == "CWE-79"


# --- rules and runs -------------------------------------------------------------------------


def test_rule_lookup_by_extension_component_and_by_id() -> None:
    log = {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {"name": "CodeQL", "rules": []},
                    "extensions": [
                        {"name": "pack/a", "rules": []},
                        {
                            "name": "pack/b",
                            "rules": [rule("x/one"), rule("x/two", shortDescription={"text": "Two"})],
                        },
                    ],
                },
                "results": [
                    {"ruleId": "x/two", "rule": {"id": "x/two", "index": 1, "toolComponent": {"index": 1}}},
                    {
                        "ruleId": "x/two",
                        "rule": {"id": "x/two", "index": 1, "toolComponent": {"name": "pack/b"}},
                    },
                    {"ruleId": "x/two"},  # no index at all: found by id
                    {"ruleId": "x/two", "ruleIndex": 0},  # wrong index: the id decides
                ],
            }
        ],
    }
    records = parse(json.dumps(log).encode()).records
    assert [r.title for r in records] == ["Two"] * 4


def test_several_runs_keep_their_own_rules() -> None:
    def run(name: str, rule_id: str, **driver: str) -> dict:
        rules = [rule(rule_id, shortDescription={"text": f"From {name}"})]
        return {
            "tool": {"driver": {"name": name, "rules": rules, **driver}},
            "results": [{"ruleId": rule_id, "ruleIndex": 0, "message": {"text": "m"}}],
        }

    runs = [run("A", "a"), run("B", "b", version="2")]
    parsed = parse(json.dumps({"version": "2.1.0", "runs": runs}).encode())
    assert [(r.scanner, r.title, r.source_ref) for r in parsed.records] == [
        ("A", "From A", "runs[0].results[0]"),
        ("B", "From B", "runs[1].results[0]"),
    ]
    assert parsed.tools == ["A", "B 2"] and parsed.format_label == "SARIF 2.1.0 (A, B)"


def test_results_without_rule_id_or_rules() -> None:
    r = one(sarif([result(rule_id=None, message="AWS key found in config")]))
    assert r.rule_id is None and r.title == "AWS key found in config"
    r = one(sarif([{"locations": []}]))
    assert r.rule_id is None and r.title == "untitled result" and r.file_path is None


def test_message_placeholders_and_message_strings() -> None:
    found = {"ruleId": "R", "message": {"text": "Use of {0} at [here](1)", "arguments": ["md5"]}}
    assert one(sarif([found])).description == "Use of md5 at here"
    rules = [rule(messageStrings={"default": {"text": "Fixed text"}})]
    by_id = {"ruleId": "R1", "ruleIndex": 0, "message": {"id": "default"}}
    assert one(sarif([by_id], rules)).title == "Fixed text"


def test_titles_are_clipped_and_help_markdown_is_not_copied() -> None:
    long = "A very long message. " * 40
    r = one(sarif([result(message=long)]))
    assert r.title == "A very long message."  # no rule text: the message's first sentence
    rules = [
        rule(help={"text": "HELP " * 2000, "markdown": "# HELP"}, fullDescription={"text": "Why it matters."})
    ]
    r = one(sarif([result(ruleIndex=0, message=long)], rules))
    assert r.title == "Why it matters."  # the rule's own description names the finding
    assert "HELP" not in r.description and r.description.endswith("Why it matters.")
    r = one(sarif([result(message="x" * 10_000)]))
    assert len(r.description) == 4000 and len(r.title) == 200


# --- locations ------------------------------------------------------------------------------


def located(uri: str, base: str | None = None, **run: object):
    where: dict = {"uri": uri}
    if base:
        where["uriBaseId"] = base
    found = {
        "ruleId": "R",
        "message": {"text": "m"},
        "locations": [{"physicalLocation": {"artifactLocation": where}}],
    }
    return one(sarif([found], **run))


def test_uri_base_ids_resolve_against_original_uri_base_ids() -> None:
    bases = {
        "SRC": {"uri": "src/", "uriBaseId": "ROOT"},
        "ROOT": {"uri": "file:///home/runner/work/app/app/"},
    }
    assert located("main.py", "SRC", originalUriBaseIds=bases).file_path == "src/main.py"
    assert (
        located("file:///home/runner/work/app/app/lib/x.py", originalUriBaseIds=bases).file_path == "lib/x.py"
    )
    assert located("a/b.py", "%SRCROOT%").file_path == "a/b.py"  # unknown base: the scanned root
    assert located("x.py", "ROOTPATH", originalUriBaseIds={"ROOTPATH": {"uri": "/"}}).file_path == "x.py"


def test_uri_forms() -> None:
    assert located("file:////src/app/x.js").file_path == "app/x.js"  # container mount of the repository
    assert located("file:///github/workspace/pkg/y.go").file_path == "pkg/y.go"
    assert located("file:///Users/me/dev/z.py").file_path == "Users/me/dev/z.py"  # unknown root: kept
    assert located("./a/../b/c%20d.py").file_path == "b/c d.py"
    assert located("lib\\util.cs").file_path == "lib/util.cs"
    assert (
        located(
            "file:///work/w/k.py", invocations=[{"workingDirectory": {"uri": "file:///work/w/"}}]
        ).file_path
        == "k.py"
    )


def test_a_uri_that_is_not_a_path() -> None:
    r = located("alpine/app (alpine 3.7.1)")
    assert r.file_path is None and "Location: alpine/app (alpine 3.7.1)" in r.description
    assert located("https://example.com/x").file_path is None


def test_repository_and_language_come_from_the_run() -> None:
    r = located(
        "x.unknown",
        versionControlProvenance=[{"repositoryUri": "https://github.com/acme/pay"}],
        automationDetails={"id": "/language:java/"},
    )
    assert r.repo_url == "https://github.com/acme/pay" and r.language == "java"
    assert located("a/b.ts").language == "typescript"


# --- container formats and bad input --------------------------------------------------------


def test_minified_and_indented_logs_parse_alike() -> None:
    log = json.loads(sarif([result(), result(line=20, message="two")]))
    minified = parse(json.dumps(log, separators=(",", ":")).encode())
    indented = parse(json.dumps(log, indent=4).encode() + b"\n")
    assert [r.fingerprint for r in minified.records] == [r.fingerprint for r in indented.records]
    assert len(minified.records) == 2


def test_non_ascii_utf8_and_byte_order_mark() -> None:
    log = json.loads(sarif([result(message="Clé « secrète » codée en dur")]))
    raw = json.dumps(log, ensure_ascii=False).encode("utf-8")  # raw UTF-8, as tools write it
    assert "é".encode() in raw
    for data in (raw, b"\xef\xbb\xbf" + raw):
        assert one(data).title == "Clé « secrète » codée en dur"


def test_null_is_an_empty_legacy_trivy_report() -> None:
    for data in (b"null", b"  null\n", b"\xef\xbb\xbfnull"):
        parsed = parse_scan(data, "trivy.json")
        assert parsed.format == "trivy" and parsed.records == [] and "null" in parsed.empty_reason
    assert detect_format(b"null") == "trivy"


def test_sarif_with_no_runs_and_runs_without_results() -> None:
    assert "no runs" in parse(b'{"version": "2.1.0", "runs": []}').empty_reason
    assert "null" in parse(b'{"$schema": "x", "runs": null}').empty_reason
    empty = parse(sarif([]))
    assert empty.records == [] and "no results" in empty.empty_reason


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b'{"runs": [', ["scan.json", "not valid JSON", "cut short", "SARIF"]),
        (b"finding_id,severity,title\n1,high,x\n", ["not valid JSON", "CSV"]),
        (b"<html></html>", ["XML or HTML"]),
        (b'{"foo": 1, "bar": 2}', ["a JSON object with keys 'foo', 'bar'", "Semgrep JSON", "Trivy JSON"]),
        (b'[{"name": "x"}]', ["a JSON list of 1 items", "'name'"]),
        (b"[]", ["empty JSON list"]),
        (b'"text"', ["a single JSON string"]),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", ["binary"]),
        ("naïve".encode("latin-1"), ["not UTF-8", "0xef"]),
        ('{"a": 1}'.encode("utf-16"), ["UTF-16"]),
        (b"   ", ["empty"]),
        (b'{"version": "2.1.0", "runs": {}}', ['"runs" is a JSON object, not a list']),
        (b'{"version": "2.1.0", "runs": [{"tool": {}, "results": [1]}]}', ["runs[0].results[0]"]),
    ],
)
def test_bad_input_is_a_clear_error(data: bytes, words: list[str]) -> None:
    with pytest.raises(BadInputError) as caught:
        parse_scan(data, "scan.json")
    message = str(caught.value)
    assert message.startswith("scan.json: ")
    for word in words:
        assert word in message


def test_detect_format_by_content_only() -> None:
    assert detect_format(sarif([])) == "sarif"
    assert detect_format(b'{"results": [], "errors": []}') == "semgrep"
    assert detect_format(b'{"results": [{"check_id": "x"}]}') == "semgrep"
    assert detect_format(b'[{"Target": "t", "Vulnerabilities": []}]') == "trivy"
    assert detect_format(b'{"ClusterName": "c", "Resources": []}') == "trivy"
    assert detect_format(b'[{"vulnerabilities": [], "packageManager": "npm"}]') == "snyk"
    assert detect_format(b'[{"number": 1, "security_advisory": {}, "dependency": {}}]') == "dependabot"
    assert detect_format(b'{"data": {"repository": {"vulnerabilityAlerts": {"nodes": []}}}}') == "dependabot"
    assert detect_format(b'[{"rule": {}, "most_recent_instance": {}}]') == "github_code_scanning"
    assert detect_format(b'{"runs": []}') is None  # no version or $schema: not SARIF
    assert detect_format(b"not json") is None
    assert detect_format(b"\xff\x00") is None


# --- package details written as text ------------------------------------------------------


def test_package_urls_and_help_text() -> None:
    maven = package_from_purl("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar")
    assert (maven.name, maven.version) == ("org.apache.logging.log4j:log4j-core", "2.14.1")
    npm = package_from_purl("pkg:npm/%40angular/core@12.0.0")
    assert (npm.name, npm.version) == ("@angular/core", "12.0.0")
    assert package_from_purl("not a purl").name is None
    found = package_from_text(
        "Vulnerability CVE-1\nPackage: curl\nInstalled Version: 7.6\nFixed Version: None"
    )
    assert (found.name, found.version, found.fixed) == ("curl", "7.6", None)
    assert vulnerability_id("[HIGH] cve-2020-1234/curl") == "CVE-2020-1234"
    assert vulnerability_id("GHSA-h376-j262-vhq6 in h2") == "GHSA-h376-j262-vhq6"


# --- other formats --------------------------------------------------------------------------


def test_semgrep_json_ignored_results_and_placeholder_fingerprints() -> None:
    doc = {
        "results": [
            {"check_id": "py.sqli", "path": "./app/db.py", "start": {"line": 4},
             "extra": {"message": "SQL built by concatenation", "severity": "ERROR", "is_ignored": True,
                       "fingerprint": "requires login", "lines": "requires login",
                       "metadata": {"cwe": "CWE-89: Improper Neutralization"}}},
            {"check_id": "x", "path": "b.py", "start": {"line": 1},
             "extra": {"message": "m", "severity": "INFO", "fingerprint": "abc_0"}},
        ],
        "errors": [],
    }  # fmt: skip
    first, second = parse_scan(json.dumps(doc).encode(), "s.json").records
    assert first.suppressed and first.suppression == "inSource: nosemgrep"
    assert (first.file_path, first.severity, first.cwe_id) == ("app/db.py", Severity.high, "CWE-89")
    assert first.fingerprint == code_fingerprint(
        "Semgrep", "py.sqli", "app/db.py", "SQL built by concatenation"
    )
    assert second.severity is Severity.low
    assert second.fingerprint == fingerprint("sarif-fp", "semgrep", "x", "matchBasedId/v1", "abc_0")


def test_semgrep_json_errors_explain_an_empty_report() -> None:
    parsed = parse_scan(b'{"results": [], "errors": [{"message": "timeout"}]}', "s.json")
    assert "1 errors" in parsed.empty_reason


def test_trivy_check_statuses_and_empty_results() -> None:
    checks = [
        {"ID": "DS001", "Title": "A", "Status": "PASS", "Severity": "LOW"},
        {"ID": "DS002", "Title": "B", "Status": "FAIL", "Severity": "HIGH", "Message": "root user"},
        {"ID": "DS003", "Title": "C", "Status": "EXCEPTION", "Severity": "HIGH", "Message": "allowed"},
    ]
    doc = {
        "SchemaVersion": 2,
        "ArtifactName": ".",
        "Results": [{"Target": "Dockerfile", "Misconfigurations": checks}],
    }
    parsed = parse_scan(json.dumps(doc).encode(), "t.json")
    assert parsed.not_findings == 1
    assert [(r.rule_id, r.suppressed) for r in parsed.records] == [("DS002", False), ("DS003", True)]
    empty = parse_scan(b'{"SchemaVersion": 2, "ArtifactName": "x", "Results": null}', "t.json")
    assert empty.records == [] and "no vulnerabilities" in empty.empty_reason


def test_snyk_policy_ignores_are_suppressed() -> None:
    vuln = {"id": "SNYK-1", "title": "XSS", "packageName": "lodash", "version": "1.0", "severity": "high"}
    ignored = {**vuln, "id": "SNYK-2", "filtered": {"ignored": [{"reason": "not reachable"}]}}
    doc = {
        "vulnerabilities": [vuln],
        "packageManager": "npm",
        "projectName": "web",
        "filtered": {"ignore": [ignored]},
    }
    kept, dropped = parse_scan(json.dumps(doc).encode(), "snyk.json").records
    assert not kept.suppressed and kept.service_name == "web" and kept.language == "javascript"
    assert dropped.suppressed and dropped.suppression == "ignored: not reachable"
