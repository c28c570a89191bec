"""The shipped sample findings file and the synthetic sample generator.

Both are read back with the csv module only, so these tests do not depend on engine ingest.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path

import pytest

from engine.core.models import FindingCategory, Severity
from engine.sample import SAMPLE_COLUMNS, write_sample_csv
from engine.sample.services import CATEGORY_PERCENT

SAMPLE_FILE = Path(__file__).resolve().parent.parent / "sample_data" / "findings.csv"

EXPECTED_COLUMNS = [
    "finding_id",
    "scanner",
    "category",
    "severity",
    "title",
    "description",
    "service_name",
    "repo_url",
    "file_path",
    "line_number",
    "cwe_id",
    "dependency_name",
    "current_version",
    "fixed_version",
    "language",
]
SEVERITIES = {s.value for s in Severity}
# The generator's categories: the original nine (it has no templates for the CWE Top 25 ones).
CATEGORIES = set(CATEGORY_PERCENT)
SCANNERS = {"semgrep", "codeql", "snyk", "trivy", "gitleaks", "dependabot"}
DEPENDENCY = FindingCategory.dependency_vulnerability.value
DEPENDENCY_FIELDS = ("dependency_name", "current_version", "fixed_version")
CWE_RE = re.compile(r"^CWE-\d+$")
SAMPLE_SERVICES = {
    "payment-service": ("java", "https://github.com/acme-corp/payment-service"),
    "user-service": ("python", "https://github.com/acme-corp/user-service"),
    "catalog-service": ("typescript", "https://github.com/acme-corp/catalog-service"),
}


def _read(text: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    rows = [dict(zip(header, record, strict=True)) for record in reader]
    return header, rows


def _generate(rows: int, seed: int = 0) -> str:
    buf = io.StringIO(newline="")
    written = write_sample_csv(buf, rows, seed)
    assert written == rows
    return buf.getvalue()


def _location(row: dict[str, str]) -> tuple[str, ...]:
    return (row["service_name"], row["file_path"], row["line_number"], row["category"])


def _assert_valid_row(row: dict[str, str]) -> None:
    assert row["finding_id"].strip()
    assert row["scanner"] in SCANNERS
    assert row["category"] in CATEGORIES
    assert row["severity"] in SEVERITIES
    assert row["title"].strip()
    assert len(row["description"]) > 40
    assert row["service_name"].strip()
    assert row["repo_url"] == f"https://github.com/acme-corp/{row['service_name']}"
    assert row["file_path"].strip() and not row["file_path"].startswith("/")
    assert row["line_number"] == "" or (row["line_number"].isdigit() and int(row["line_number"]) >= 1)
    assert CWE_RE.match(row["cwe_id"]), row["cwe_id"]
    assert row["language"] in {"java", "python", "typescript", "go"}
    if row["category"] == DEPENDENCY:
        assert all(row[f].strip() for f in DEPENDENCY_FIELDS), row
        assert row["current_version"] != row["fixed_version"]
    else:
        assert not any(row[f] for f in DEPENDENCY_FIELDS), row


# --- the shipped sample file ---------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_text() -> str:
    return SAMPLE_FILE.read_bytes().decode("utf-8")


@pytest.fixture(scope="module")
def sample(sample_text: str) -> tuple[list[str], list[dict[str, str]]]:
    return _read(sample_text)


def test_sample_file_has_columns_in_order(sample: tuple[list[str], list[dict[str, str]]]) -> None:
    header, _ = sample
    assert header == EXPECTED_COLUMNS
    assert list(SAMPLE_COLUMNS) == EXPECTED_COLUMNS


def test_sample_file_uses_lf_line_endings_and_quoting(sample_text: str) -> None:
    assert "\r" not in sample_text
    assert sample_text.endswith("\n")
    _, rows = _read(sample_text)
    assert any("," in row["description"] for row in rows)


def test_sample_file_rows_are_valid(sample: tuple[list[str], list[dict[str, str]]]) -> None:
    _, rows = sample
    assert len(rows) >= 20
    for row in rows:
        _assert_valid_row(row)
        assert re.fullmatch(r"PW-\d{4}", row["finding_id"])
    ids = [row["finding_id"] for row in rows]
    assert len(set(ids)) == len(ids)
    assert len({_location(row) for row in rows}) == len(rows)


def test_sample_file_severity_and_category_mix(
    sample: tuple[list[str], list[dict[str, str]]],
) -> None:
    _, rows = sample
    severities = Counter(row["severity"] for row in rows)
    assert set(severities) == SEVERITIES
    assert all(count >= 3 for count in severities.values()), severities
    categories = Counter(row["category"] for row in rows)
    assert len(categories) >= 6, categories
    assert categories[DEPENDENCY] >= 3


def test_sample_file_services_and_languages(
    sample: tuple[list[str], list[dict[str, str]]],
) -> None:
    _, rows = sample
    assert {row["service_name"] for row in rows} == set(SAMPLE_SERVICES)
    for row in rows:
        language, repo_url = SAMPLE_SERVICES[row["service_name"]]
        assert row["language"] == language
        assert row["repo_url"] == repo_url


def test_sample_file_cwe_ids_match_categories(
    sample: tuple[list[str], list[dict[str, str]]],
) -> None:
    _, rows = sample
    expected = {
        "sql_injection": {"CWE-89"},
        "xss": {"CWE-79"},
        "path_traversal": {"CWE-22"},
        "hardcoded_secret": {"CWE-798"},
        "pii_logging": {"CWE-532"},
        "missing_encryption": {"CWE-311", "CWE-312", "CWE-319"},
        "access_logging": {"CWE-778"},
    }
    for row in rows:
        if row["category"] in expected:
            assert row["cwe_id"] in expected[row["category"]], row


def test_sample_file_dependency_rows_point_at_manifests(
    sample: tuple[list[str], list[dict[str, str]]],
) -> None:
    _, rows = sample
    manifests = {"java": "pom.xml", "python": "requirements.txt", "typescript": "package.json"}
    for row in rows:
        if row["category"] == DEPENDENCY:
            assert row["file_path"] == manifests[row["language"]]
            assert row["dependency_name"] in row["description"]


# --- the generator -------------------------------------------------------------------------


def test_generator_writes_header_and_exactly_n_rows() -> None:
    for n in (1, 7, 1_234):
        header, rows = _read(_generate(n))
        assert header == EXPECTED_COLUMNS
        assert len(rows) == n


@pytest.mark.parametrize("rows", [0, -1])
def test_generator_rejects_fewer_than_one_row(rows: int) -> None:
    with pytest.raises(ValueError, match="rows must be at least 1"):
        write_sample_csv(io.StringIO(), rows)


def test_generator_is_deterministic_per_seed() -> None:
    assert _generate(500, seed=3) == _generate(500, seed=3)
    assert _generate(500) == _generate(500, seed=0)


def test_generator_differs_across_seeds() -> None:
    _, a = _read(_generate(200, seed=1))
    _, b = _read(_generate(200, seed=2))
    strip = [{k: v for k, v in row.items() if k != "finding_id"} for row in a]
    other = [{k: v for k, v in row.items() if k != "finding_id"} for row in b]
    assert strip != other
    assert {row["finding_id"] for row in a}.isdisjoint(row["finding_id"] for row in b)


def test_generator_prefix_of_longer_output_matches() -> None:
    """More rows only append: the first rows do not depend on the total."""
    _, short = _read(_generate(300, seed=9))
    _, long = _read(_generate(600, seed=9))
    assert long[:300] == short


def test_generator_output_is_csv_module_quoting() -> None:
    text = _generate(2_000, seed=4)
    records = list(csv.reader(io.StringIO(text, newline="")))
    again = io.StringIO(newline="")
    csv.writer(again, quoting=csv.QUOTE_MINIMAL, lineterminator="\n").writerows(records)
    assert again.getvalue() == text
    assert "\r" not in text


@pytest.fixture(scope="module")
def large() -> list[dict[str, str]]:
    _, rows = _read(_generate(5_000, seed=11))
    return rows


def test_generator_rows_are_valid(large: list[dict[str, str]]) -> None:
    for row in large:
        _assert_valid_row(row)
    ids = [row["finding_id"] for row in large]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"SAMPLE-11-\d{6}", i) for i in ids)


def test_generator_covers_services_categories_and_scanners(large: list[dict[str, str]]) -> None:
    assert set(SAMPLE_SERVICES) <= {row["service_name"] for row in large}
    assert len({row["service_name"] for row in large}) >= 8
    for row in large:
        if row["service_name"] in SAMPLE_SERVICES:
            assert row["language"] == SAMPLE_SERVICES[row["service_name"]][0]
    languages = {row["service_name"]: row["language"] for row in large}
    assert all(languages[row["service_name"]] == row["language"] for row in large)
    assert {row["category"] for row in large} == CATEGORIES
    assert {row["scanner"] for row in large} == SCANNERS


def test_generator_severity_mix(large: list[dict[str, str]]) -> None:
    counts = Counter(row["severity"] for row in large)
    share = {sev: counts[sev] / len(large) for sev in SEVERITIES}
    assert 0.06 <= share["critical"] <= 0.14, share
    assert 0.20 <= share["high"] <= 0.30, share
    assert 0.34 <= share["medium"] <= 0.46, share
    assert 0.20 <= share["low"] <= 0.30, share


def test_generator_includes_some_duplicate_locations(large: list[dict[str, str]]) -> None:
    groups: dict[tuple[str, ...], list[dict[str, str]]] = {}
    for row in large:
        groups.setdefault(_location(row), []).append(row)
    extra = sum(len(g) - 1 for g in groups.values())
    assert 0.01 * len(large) <= extra <= 0.035 * len(large), extra
    duplicated = [g for g in groups.values() if len(g) > 1]
    # A duplicate keeps the package of the row it repeats, has its own id, and sometimes a
    # different severity.
    for group in duplicated:
        assert len({row["finding_id"] for row in group}) == len(group)
        assert len({row["dependency_name"] for row in group}) == 1
    assert any(len({row["severity"] for row in g}) > 1 for g in duplicated)
