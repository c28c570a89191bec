"""Findings ingest: real behaviour on real-looking files, expectations computed by hand.

No mocks: every test builds CSV bytes, runs `ingest_bytes` (or `ingest_file`) and checks the
report and the findings. Row numbers are spreadsheet-style: header row 1, first data row 2.
"""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import pytest

from engine.core.errors import BadInputError
from engine.core.models import Finding, FindingCategory, Severity
from engine.ingest import IngestResult, ingest_bytes, ingest_file

SAMPLE_FILE = Path(__file__).resolve().parent.parent / "sample_data" / "findings.csv"
# Ingest lists findings most severe first (then by id); scoring is the plan's (test_planner.py).
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}

HEADER = (
    "finding_id",
    "category",
    "severity",
    "title",
    "service_name",
    "file_path",
    "line_number",
    "dependency_name",
    "cwe_id",
)


def row(
    finding_id: str,
    *,
    category: str = "xss",
    severity: str = "high",
    title: str = "a title",
    service: str = "svc",
    file_path: str = "src/a.py",
    line: str = "10",
    dependency: str = "",
    cwe: str = "",
) -> list[str]:
    """One data row in HEADER's column order."""
    return [finding_id, category, severity, title, service, file_path, line, dependency, cwe]


def csv_bytes(rows: list[list[str]], header: tuple[str, ...] | list[str] = HEADER) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def ingest(data: bytes | str, name: str = "findings.csv") -> IngestResult:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return ingest_bytes(data, name)


def by_id(result: IngestResult) -> dict[str, Finding]:
    return {f.finding_id: f for f in result.findings}


def problems(items) -> list[tuple[int, str | None]]:
    return [(p.row, p.column) for p in items]


def assert_accounting(result: IngestResult) -> None:
    r = result.report
    assert r.accepted == len(result.findings)
    assert r.accepted + r.rejected_rows + r.duplicates_merged == r.total_rows


# --------------------------------------------------------------------------------------
# The shipped sample file
# --------------------------------------------------------------------------------------


def _sample_rows() -> list[dict[str, str]]:
    with SAMPLE_FILE.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_sample_file_ingests_without_rejections() -> None:
    result = ingest_file(SAMPLE_FILE)
    report = result.report
    assert report.source_name == "findings.csv"
    assert report.encoding == "utf-8"
    assert report.total_rows == 24
    assert report.accepted == 24
    assert report.rejected == []
    assert report.rejected_rows == 0
    assert report.warnings == []
    assert report.duplicates_merged == 0
    assert report.merged_groups == []
    assert report.blank_rows == 0
    assert report.ignored_columns == []
    assert_accounting(result)


def test_sample_is_listed_most_severe_first_then_by_id_and_not_scored() -> None:
    rows = _sample_rows()
    expected_order = sorted(rows, key=lambda r: (SEVERITY_ORDER[r["severity"]], r["finding_id"]))
    findings = ingest_file(SAMPLE_FILE).findings
    assert [f.finding_id for f in findings] == [r["finding_id"] for r in expected_order]
    assert all(f.priority is None and f.priority_rank is None for f in findings)


def test_sample_cells_are_carried_over_unchanged() -> None:
    rows = {r["finding_id"]: (i, r) for i, r in enumerate(_sample_rows(), start=2)}
    for finding in ingest_file(SAMPLE_FILE).findings:
        source_row, r = rows[finding.finding_id]
        assert finding.source_row == source_row
        assert finding.severity == Severity(r["severity"])
        assert finding.category == FindingCategory(r["category"])
        for name in (
            "scanner",
            "title",
            "description",
            "service_name",
            "repo_url",
            "file_path",
            "cwe_id",
            "dependency_name",
            "current_version",
            "fixed_version",
            "language",
        ):
            assert getattr(finding, name) == (r[name] or None), name
        assert finding.line_number == int(r["line_number"])
        assert finding.merged_ids == []


def test_ingest_file_and_ingest_bytes_agree() -> None:
    from_file = ingest_file(SAMPLE_FILE)
    from_bytes = ingest_bytes(SAMPLE_FILE.read_bytes(), "findings.csv")
    assert from_file.report == from_bytes.report
    assert from_file.findings == from_bytes.findings


def test_ingest_file_missing_path_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="no such file"):
        ingest_file(tmp_path / "nope.csv")


def test_findings_are_listed_by_severity_then_finding_id() -> None:
    data = csv_bytes(
        [
            row(
                "A-1",
                severity="medium",
                category="sql_injection",
                service="payment-service",
                file_path="a.py",
            ),
            row("B-1", severity="high", category="xss", service="other-service", file_path="b.py"),
            row("Z-1", severity="critical", category="other", service="other-service", file_path="z.py"),
            row("C-1", severity="critical", category="other", service="other-service", file_path="c.py"),
        ]
    )
    findings = ingest(data).findings
    assert [f.finding_id for f in findings] == ["C-1", "Z-1", "B-1", "A-1"]


# --------------------------------------------------------------------------------------
# Real-export quirks that must be accepted
# --------------------------------------------------------------------------------------


def test_utf8_bom_is_stripped_from_the_first_header() -> None:
    data = b"\xef\xbb\xbf" + csv_bytes([row("A")])
    result = ingest(data)
    assert result.report.encoding == "utf-8"
    assert [f.finding_id for f in result.findings] == ["A"]
    assert result.report.ignored_columns == []


def test_crlf_line_endings() -> None:
    data = csv_bytes([row("A", cwe="CWE-79"), row("B", line="11", cwe="CWE-89")])
    data = data.replace(b"\n", b"\r\n")
    result = ingest(data)
    found = by_id(result)
    assert result.report.accepted == 2
    # No stray carriage return survives on the last column.
    assert found["A"].cwe_id == "CWE-79"
    assert found["B"].cwe_id == "CWE-89"
    assert found["B"].source_row == 3


def test_quoted_multiline_description_is_one_cell_and_keeps_row_numbers() -> None:
    text = (
        "finding_id,severity,category,title,service_name,line_number,description\n"
        'A,high,xss,first,svc,1,"line one\nline two, with a comma and ""quotes"""\n'
        "B,low,xss,second,svc,2,plain\n"
        "C,urgent,xss,third,svc,3,\n"
    )
    result = ingest(text)
    found = by_id(result)
    assert found["A"].description == 'line one\nline two, with a comma and "quotes"'
    assert found["A"].source_row == 2
    assert found["B"].source_row == 3
    assert found["B"].description == "plain"
    assert problems(result.report.rejected) == [(4, "severity")]


def test_header_names_in_other_case_and_with_spaces() -> None:
    text = (
        "Finding ID, SEVERITY ,Category,TITLE,Service-Name,File Path,Line Number,CWE_ID\n"
        "A,high,xss,t,svc,src/a.py,7,CWE-79\n"
    )
    result = ingest(text)
    assert result.report.ignored_columns == []
    (finding,) = result.findings
    assert (finding.finding_id, finding.severity, finding.category) == ("A", "high", "xss")
    assert (finding.service_name, finding.file_path, finding.line_number) == ("svc", "src/a.py", 7)
    assert finding.cwe_id == "CWE-79"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Critical", Severity.critical),
        (" HIGH ", Severity.high),
        ("moderate", Severity.medium),
        ("Medium", Severity.medium),
        ("med", Severity.medium),
        ("crit", Severity.critical),
        ("LOW", Severity.low),
    ],
)
def test_severity_spellings(raw: str, expected: Severity) -> None:
    (finding,) = ingest(csv_bytes([row("A", severity=raw)])).findings
    assert finding.severity is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("SQLi", FindingCategory.sql_injection),
        ("SQL Injection", FindingCategory.sql_injection),
        ("secrets", FindingCategory.hardcoded_secret),
        ("Hardcoded-Secret", FindingCategory.hardcoded_secret),
        ("dependency", FindingCategory.dependency_vulnerability),
        ("SCA", FindingCategory.dependency_vulnerability),
        ("Cross Site Scripting", FindingCategory.xss),
        ("XSS", FindingCategory.xss),
        ("directory-traversal", FindingCategory.path_traversal),
        ("PII", FindingCategory.pii_logging),
        ("encryption", FindingCategory.missing_encryption),
        ("audit logging", FindingCategory.access_logging),
        # the categories added for the CWE Top 25: their names and the usual spellings
        ("command_injection", FindingCategory.command_injection),
        ("OS Command Injection", FindingCategory.command_injection),
        ("SSRF", FindingCategory.ssrf),
        ("Server-Side Request Forgery", FindingCategory.ssrf),
        ("XXE", FindingCategory.xxe),
        ("deserialization", FindingCategory.insecure_deserialization),
        ("Weak Crypto", FindingCategory.weak_cryptography),
        ("open-redirect", FindingCategory.open_redirect),
        ("CSRF", FindingCategory.csrf),
        ("Prototype Pollution", FindingCategory.input_validation),
        ("IDOR", FindingCategory.missing_authorization),
        ("Use After Free", FindingCategory.memory_safety),
        ("Race Condition", FindingCategory.race_condition),
        ("ReDoS", FindingCategory.resource_exhaustion),
        ("Null Pointer Dereference", FindingCategory.null_dereference),
        ("integer_overflow", FindingCategory.integer_overflow),
        ("Unrestricted File Upload", FindingCategory.file_upload),
        ("Formula Injection", FindingCategory.csv_injection),
        ("Information Disclosure", FindingCategory.information_exposure),
        ("Subresource Integrity", FindingCategory.missing_integrity_check),
        ("error_handling", FindingCategory.error_handling),
        ("Dead Code", FindingCategory.code_quality),
    ],
)
def test_category_aliases(raw: str, expected: FindingCategory) -> None:
    result = ingest(csv_bytes([row("A", category=raw)]))
    (finding,) = result.findings
    assert finding.category is expected
    assert result.report.warnings == []


def test_empty_cells_become_none() -> None:
    text = (
        "finding_id,scanner,category,severity,title,description,service_name,repo_url,"
        "file_path,line_number,cwe_id,dependency_name,current_version,fixed_version,language\n"
        "A,,xss,high,t,,svc,,,,,,,,\n"
        "B,semgrep,xss,high,t,d,svc,https://x,src/b.py,3,CWE-79,,,,python\n"
    )
    found = by_id(ingest(text))
    a = found["A"]
    for name in (
        "scanner",
        "description",
        "repo_url",
        "file_path",
        "line_number",
        "cwe_id",
        "dependency_name",
        "current_version",
        "fixed_version",
        "language",
    ):
        assert getattr(a, name) is None, name
    assert found["B"].line_number == 3
    assert found["B"].language == "python"


def test_cp1252_file_with_accented_characters() -> None:
    text = "finding_id,category,severity,title,service_name,line_number\nA,xss,high,Café – déjà vu,svc,1\n"
    data = text.encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the test really feeds non-UTF-8 bytes
    result = ingest(data)
    assert result.report.encoding == "cp1252"
    (finding,) = result.findings
    assert finding.title == "Café – déjà vu"


def test_unknown_columns_are_reported_as_ignored() -> None:
    text = (
        "finding_id,Owner,category,severity,title,service_name,line_number, Ticket Link \n"
        "A,alice,xss,high,t,svc,1,JIRA-1\n"
    )
    result = ingest(text)
    assert result.report.ignored_columns == ["Owner", "Ticket Link"]
    (finding,) = result.findings
    assert "alice" not in finding.model_dump_json()
    assert finding.line_number == 1


def test_blank_lines_are_skipped_and_counted_without_shifting_row_numbers() -> None:
    text = (
        "finding_id,category,severity,title,service_name,line_number\n"
        "\n"
        "A,xss,high,t,svc,1\n"
        "\n"
        ",,,,,\n"
        "B,xss,high,t,svc,2\n"
        "C,xss,urgent,t,svc,3\n"
        "\n"
    )
    result = ingest(text)
    report = result.report
    assert report.blank_rows == 4
    assert report.total_rows == 3
    assert by_id(result)["A"].source_row == 3
    assert by_id(result)["B"].source_row == 6
    assert problems(report.rejected) == [(7, "severity")]
    assert_accounting(result)


def test_trailing_empty_extra_cells_are_not_a_problem() -> None:
    text = (
        "finding_id,category,severity,title,service_name,line_number\n"
        "A,xss,high,t,svc,1,,\n"
        "B,xss,high,t,svc,2\n"
    )
    result = ingest(text)
    assert result.report.rejected == []
    assert by_id(result)["A"].line_number == 1


# --------------------------------------------------------------------------------------
# Row-level rejections
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad_row", "column", "reason_parts"),
    [
        (row("B", severity="urgent"), "severity", ["unknown severity", "'urgent'", "critical"]),
        (row("B", severity=""), "severity", ["severity is empty"]),
        (row(""), "finding_id", ["finding_id is empty"]),
        (row("B", title=""), "title", ["title is empty"]),
        (row("B", service=""), "service_name", ["service_name is empty"]),
        (row("B", category=""), "category", ["category is empty"]),
        (row("B", line="abc"), "line_number", ["line_number", "'abc'"]),
        (row("B", line="0"), "line_number", ["line_number", "'0'"]),
        (row("B", line="-3"), "line_number", ["line_number", "'-3'"]),
        (row("B", line="1.5"), "line_number", ["line_number", "'1.5'"]),
        (row("B", line="10000001"), "line_number", ["line_number", "'10000001'"]),
    ],
    ids=[
        "unknown-severity",
        "empty-severity",
        "empty-finding-id",
        "empty-title",
        "empty-service",
        "empty-category",
        "line-abc",
        "line-zero",
        "line-negative",
        "line-fraction",
        "line-too-large",
    ],
)
def test_row_rejections(bad_row: list[str], column: str, reason_parts: list[str]) -> None:
    data = csv_bytes([row("A", file_path="a.py"), bad_row, row("C", file_path="c.py")])
    result = ingest(data)
    report = result.report
    assert problems(report.rejected) == [(3, column)]
    reason = report.rejected[0].reason
    for part in reason_parts:
        assert part in reason
    assert report.rejected_rows == 1
    assert sorted(by_id(result)) == ["A", "C"]
    assert_accounting(result)


def test_rejection_records_the_value_and_finding_id() -> None:
    result = ingest(csv_bytes([row("A"), row("B", severity="urgent", file_path="b.py")]))
    (problem,) = result.report.rejected
    assert (problem.row, problem.column, problem.value, problem.finding_id) == (
        3,
        "severity",
        "urgent",
        "B",
    )


def test_whole_number_with_zero_fraction_is_a_line_number() -> None:
    (finding,) = ingest(csv_bytes([row("A", line="12.0")])).findings
    assert finding.line_number == 12


def test_one_row_can_have_several_problems() -> None:
    result = ingest(csv_bytes([row("A"), row("B", severity="urgent", title="", line="x")]))
    assert problems(result.report.rejected) == [(3, "line_number"), (3, "severity"), (3, "title")]
    assert result.report.rejected_rows == 1
    assert_accounting(result)


def test_finding_id_reused_for_a_different_location_is_rejected() -> None:
    result = ingest(
        csv_bytes([row("A", file_path="a.py"), row("A", file_path="b.py"), row("B", file_path="c.py")])
    )
    report = result.report
    assert problems(report.rejected) == [(3, "finding_id")]
    reason = report.rejected[0].reason
    assert "'A'" in reason and "row 2" in reason
    found = by_id(result)
    assert sorted(found) == ["A", "B"]
    assert found["A"].file_path == "a.py"
    assert report.duplicates_merged == 0
    assert_accounting(result)


def test_unknown_category_becomes_other_with_a_warning() -> None:
    result = ingest(csv_bytes([row("A", category="Quantum Leak", severity="high")]))
    report = result.report
    assert report.rejected == []
    assert problems(report.warnings) == [(2, "category")]
    assert "'Quantum Leak'" in report.warnings[0].reason
    assert "other" in report.warnings[0].reason
    (finding,) = result.findings
    assert finding.category is FindingCategory.other


def test_invalid_cwe_is_a_warning_and_dropped() -> None:
    result = ingest(csv_bytes([row("A", cwe="banana")]))
    report = result.report
    assert report.rejected == []
    assert problems(report.warnings) == [(2, "cwe_id")]
    assert "'banana'" in report.warnings[0].reason
    (finding,) = result.findings
    assert finding.cwe_id is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("89", "CWE-89"),
        ("cwe89", "CWE-89"),
        ("CWE-089", "CWE-89"),
        ("CWE-89", "CWE-89"),
        ("cwe_79", "CWE-79"),
        ("CWE 22", "CWE-22"),
        ("", None),
    ],
)
def test_cwe_normalization(raw: str, expected: str | None) -> None:
    result = ingest(csv_bytes([row("A", cwe=raw)]))
    (finding,) = result.findings
    assert finding.cwe_id == expected
    assert result.report.warnings == []


def test_warnings_of_a_rejected_row_are_not_repeated() -> None:
    result = ingest(
        csv_bytes([row("A"), row("B", severity="urgent", category="weird", cwe="nope", file_path="b.py")])
    )
    assert problems(result.report.rejected) == [(3, "severity")]
    assert result.report.warnings == []


def test_row_with_more_cells_than_the_header_is_reported() -> None:
    text = (
        "finding_id,category,severity,title,service_name,line_number\n"
        "A,xss,high,t,svc,1\n"
        "B,xss,high,t,svc,2,surprise\n"
        "C,xss,high,t,svc,3\n"
    )
    result = ingest(text)
    report = result.report
    assert problems(report.rejected) == [(3, None)]
    assert "7 cells" in report.rejected[0].reason
    assert sorted(by_id(result)) == ["A", "C"]
    assert report.total_rows == 3
    assert_accounting(result)


_NO_LINE_HEADER = "finding_id,category,severity,title,service_name,line_number\n"


@pytest.mark.parametrize(
    ("text", "accepted", "rejected"),
    [
        ("finding_id,category,severity,title,service_name\nA,xss,high,t,svc\n", ["A"], []),
        (_NO_LINE_HEADER + "A,xss,high,t,svc,\nB,xss,high,t,svc,\n", ["A"], []),
        (_NO_LINE_HEADER + "A,xss,high,t,svc,\nB,xss,high,t,svc,abc\n", ["A"], [(3, "line_number")]),
    ],
    ids=["no-line-column", "all-lines-empty", "empty-and-invalid-lines"],
)
def test_file_where_no_row_has_a_line_number(
    text: str, accepted: list[str], rejected: list[tuple[int, str]]
) -> None:
    result = ingest(text)
    assert sorted(by_id(result)) == accepted
    assert by_id(result)["A"].line_number is None
    assert problems(result.report.rejected) == rejected
    assert_accounting(result)


@pytest.mark.parametrize("huge", ["99999999999999999999", "18446744073709551615"])
def test_line_number_beyond_int64_is_rejected_not_a_crash(huge: str) -> None:
    result = ingest(csv_bytes([row("A", line="5"), row("B", line=huge, file_path="b.py")]))
    assert problems(result.report.rejected) == [(3, "line_number")]
    assert sorted(by_id(result)) == ["A"]


def test_unterminated_quote_does_not_silently_swallow_later_rows() -> None:
    text = (
        "finding_id,category,severity,title,service_name,line_number\n"
        "A,xss,low,t,s,5\n"
        'B,xss,low,"t,s,6\n'
        "C,xss,low,t,s,7\n"
        "D,xss,low,t,s,8\n"
    )
    try:
        result = ingest(text)
    except BadInputError as exc:
        assert "quote" in str(exc)
        return
    reasons = [p.reason for p in result.report.rejected]
    assert any("quote" in r for r in reasons), reasons


# --------------------------------------------------------------------------------------
# Whole-file refusals
# --------------------------------------------------------------------------------------


def test_missing_required_columns_are_named() -> None:
    data = b"finding_id,title,service_name,line_number\nA,t,svc,1\n"
    with pytest.raises(BadInputError) as info:
        ingest(data, "export.csv")
    message = str(info.value)
    assert "export.csv" in message
    assert "missing required column" in message
    assert "category" in message and "severity" in message
    assert "category, severity" in message
    assert "title" not in message.split("(found")[0]


_RANDOM_BINARY = random.Random(1234).randbytes(4096) + b"\x00" * 64


@pytest.mark.parametrize(
    ("data", "message_parts"),
    [
        (b"", ["empty"]),
        (b"   \n\r\n\t  \n", ["empty"]),
        (b"finding_id,category,severity,title,service_name\n", ["no data rows"]),
        (b"finding_id,category,severity,title,service_name\r\n\r\n\r\n", ["no data rows"]),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06", ["binary"]),
        (_RANDOM_BINARY, ["binary"]),
        (b'[{"finding_id": "A", "severity": "high"}]', ["JSON"]),
        (b'  {"findings": []}\n', ["JSON"]),
        (b'<?xml version="1.0"?>\n<findings><finding id="A"/></findings>\n', ["XML"]),
        (b"<!DOCTYPE html>\n<html><body>Not found</body></html>\n", ["HTML"]),
        (b"just some notes\nnothing tabular here\n", ["single column", "finding_id"]),
        (
            b"finding_id,category,severity,title,service_name,Finding ID\nA,xss,high,t,svc,B\n",
            ["'finding_id' appears twice", "Finding ID"],
        ),
    ],
    ids=[
        "empty",
        "whitespace-only",
        "header-only",
        "header-and-blank-lines",
        "png",
        "random-bytes-with-nuls",
        "json-array",
        "json-object",
        "xml",
        "html",
        "single-column-text",
        "duplicated-column",
    ],
)
def test_whole_file_refusals(data: bytes, message_parts: list[str]) -> None:
    with pytest.raises(BadInputError) as info:
        ingest(data, "upload.csv")
    message = str(info.value)
    assert message.startswith("upload.csv: ")
    for part in message_parts:
        assert part in message


# --------------------------------------------------------------------------------------
# Duplicates
# --------------------------------------------------------------------------------------


def test_same_location_and_category_merge_into_one_finding() -> None:
    result = ingest(
        csv_bytes(
            [
                row("A", severity="high", file_path="src/a.py", line="10"),
                row("B", severity="high", file_path="src/a.py", line="10"),
                row("C", severity="high", file_path="src/c.py", line="10"),
            ]
        )
    )
    report = result.report
    assert report.duplicates_merged == 1
    assert report.accepted == 2
    found = by_id(result)
    assert sorted(found) == ["A", "C"]
    assert found["A"].merged_ids == ["B"]
    assert found["C"].merged_ids == []
    (group,) = report.merged_groups
    assert (group.survivor_id, group.merged_ids) == ("A", ["B"])
    assert_accounting(result)


@pytest.mark.parametrize("critical_first", [True, False])
def test_higher_severity_wins_regardless_of_order(critical_first: bool) -> None:
    low = row("LOW-1", severity="low")
    crit = row("CRIT-1", severity="critical")
    result = ingest(csv_bytes([crit, low] if critical_first else [low, crit]))
    (finding,) = result.findings
    assert finding.finding_id == "CRIT-1"
    assert finding.severity is Severity.critical
    assert finding.merged_ids == ["LOW-1"]
    assert finding.source_row == (2 if critical_first else 3)
    assert result.report.duplicates_merged == 1


def test_equal_severity_keeps_the_earliest_row() -> None:
    result = ingest(csv_bytes([row("Z"), row("A"), row("M")]))
    (finding,) = result.findings
    assert finding.finding_id == "Z"
    assert finding.merged_ids == ["A", "M"]
    assert result.report.duplicates_merged == 2


def test_paths_are_normalized_before_merging() -> None:
    result = ingest(
        csv_bytes(
            [
                row("A", severity="medium", file_path="./src/a.py"),
                row("B", severity="critical", file_path="src\\a.py"),
                row("C", severity="low", file_path="src/a.py"),
            ]
        )
    )
    (finding,) = result.findings
    assert finding.finding_id == "B"
    assert finding.file_path == "src/a.py"
    assert finding.merged_ids == ["A", "C"]
    assert result.report.duplicates_merged == 2
    assert_accounting(result)


@pytest.mark.parametrize(
    ("second", "merges"),
    [
        (row("B", line="11"), False),
        (row("B", category="sql_injection"), False),
        (row("B", service="other-svc"), False),
        (row("B", file_path="src/b.py"), False),
        (row("B", category="Cross Site Scripting"), True),  # an alias of the same category
    ],
    ids=["other-line", "other-category", "other-service", "other-file", "category-alias"],
)
def test_what_counts_as_the_same_location(second: list[str], merges: bool) -> None:
    result = ingest(csv_bytes([row("A"), second]))
    assert result.report.duplicates_merged == (1 if merges else 0)
    assert result.report.accepted == (1 if merges else 2)


def _manifest_rows(dep_a: str, dep_b: str) -> list[list[str]]:
    return [
        row("D-1", category="dependency_vulnerability", file_path="package.json", line="", dependency=dep_a),
        row("D-2", category="dependency_vulnerability", file_path="package.json", line="", dependency=dep_b),
    ]


def test_different_packages_in_one_manifest_do_not_merge() -> None:
    result = ingest(csv_bytes(_manifest_rows("lodash", "express")))
    found = by_id(result)
    assert sorted(found) == ["D-1", "D-2"]
    assert found["D-1"].line_number is None
    assert found["D-1"].dependency_name == "lodash"
    assert result.report.duplicates_merged == 0


def test_same_package_in_one_manifest_merges() -> None:
    result = ingest(csv_bytes(_manifest_rows("lodash", "Lodash")))
    found = by_id(result)
    assert sorted(found) == ["D-1"]
    assert found["D-1"].merged_ids == ["D-2"]
    assert result.report.duplicates_merged == 1


def test_same_id_twice_on_the_same_location_merges_without_listing_itself() -> None:
    result = ingest(csv_bytes([row("A", severity="low"), row("A", severity="high")]))
    report = result.report
    assert report.rejected == []
    assert report.duplicates_merged == 1
    (finding,) = result.findings
    assert finding.finding_id == "A"
    assert finding.severity is Severity.high
    assert finding.merged_ids == []
    assert_accounting(result)


def test_merged_rows_leave_the_listing() -> None:
    result = ingest(
        csv_bytes(
            [
                row("A", severity="low", file_path="a.py"),
                row("B", severity="critical", file_path="a.py"),
                row("C", severity="medium", file_path="c.py"),
            ]
        )
    )
    assert [f.finding_id for f in result.findings] == ["B", "C"]


# --------------------------------------------------------------------------------------
# JSON round trip
# --------------------------------------------------------------------------------------


def _quirky_file() -> bytes:
    text = (
        "\ufeffFinding ID, SEVERITY ,Category,Title,Service Name,File Path,Line Number,"
        "CWE ID,Description,Dependency Name,Notes\r\n"
        'A,Critical,SQLi,t1,payment-service,./src/a.py,3,89,"multi\r\nline, ""quoted""",,x\r\n'
        "B, HIGH ,secrets,t2,user-service,src\\b.py,,cwe798,,,\r\n"
        "C,moderate,weird,t3 ✓ ünïcode,svc,src/c.py,4,banana,,,\r\n"
        "D,low,dependency,t4,svc,package.json,,,,left-pad,\r\n"
        "E,low,xss,t5,svc,src/c.py,4,,,,\r\n"
        "F,high,xss,t6,svc,src/c.py,4,,,,\r\n"
    )
    return text.encode("utf-8")


@pytest.mark.parametrize("source", ["sample", "quirky"])
def test_every_finding_round_trips_through_json(source: str) -> None:
    data = SAMPLE_FILE.read_bytes() if source == "sample" else _quirky_file()
    findings = ingest(data).findings
    assert findings
    for finding in findings:
        again = Finding.model_validate_json(finding.model_dump_json())
        assert again == finding
        assert again.model_dump() == finding.model_dump()


def test_quirky_file_end_to_end() -> None:
    result = ingest(_quirky_file())
    report = result.report
    assert report.ignored_columns == ["Notes"]
    assert report.rejected == []
    assert problems(report.warnings) == [(4, "category"), (4, "cwe_id")]
    assert report.duplicates_merged == 1  # E folds into F (same file, line, category)
    found = by_id(result)
    assert sorted(found) == ["A", "B", "C", "D", "F"]
    assert found["A"].severity is Severity.critical
    assert found["A"].category is FindingCategory.sql_injection
    assert found["A"].file_path == "src/a.py"
    assert found["A"].description == 'multi\r\nline, "quoted"'
    assert found["B"].file_path == "src/b.py"
    assert found["B"].line_number is None
    assert (found["A"].cwe_id, found["B"].cwe_id, found["C"].cwe_id) == ("CWE-89", "CWE-798", None)
    assert found["C"].category is FindingCategory.other
    assert found["C"].title == "t3 ✓ ünïcode"
    assert found["D"].dependency_name == "left-pad"
    assert found["F"].merged_ids == ["E"]
    assert found["F"].source_row == 7
    assert_accounting(result)


def test_findings_without_a_location_merge_only_with_the_same_title() -> None:
    result = ingest(
        csv_bytes(
            [
                row("A", category="other", title="TLS disabled", file_path="", line=""),
                row("B", category="other", title="S3 bucket unencrypted", file_path="", line=""),
                row(
                    "C", category="other", title=" tls DISABLED ", file_path="", line="", severity="critical"
                ),
            ]
        )
    )
    found = by_id(result)
    assert set(found) == {"B", "C"}
    assert found["C"].merged_ids == ["A"]
    assert result.report.duplicates_merged == 1
