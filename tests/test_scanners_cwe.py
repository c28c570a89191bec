"""The CWE-to-category table against the CWE Top 25 and every CWE in the real scanner samples.

Run with `-s` to see the per-file table of results that carry a CWE and how many of them are
left in `other`."""

from __future__ import annotations

from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from engine.core.models import FindingCategory
from engine.core.sources import SourceDefaults
from engine.ingest import ingest_file
from engine.scanners import ScanParse, parse_scan
from engine.scanners.categories import category_for, primary_cwe
from engine.scanners.cwe_table import CWE_CATEGORIES, CWE_TOP_25_2023, CWE_TOP_25_2024
from tests.scanner_samples import SAMPLES_DIR, needs_samples

OTHER_SHARE_LIMIT = 0.15


def sample_files() -> list[Path]:
    if SAMPLES_DIR is None:
        return []
    return sorted(p for p in SAMPLES_DIR.glob("*/*") if p.is_file() and p.name != "SOURCES.md")


@cache
def parsed(path: Path) -> ScanParse:
    return parse_scan(path.read_bytes(), path.name)


@pytest.mark.parametrize("cwe", sorted(set(CWE_TOP_25_2023) | set(CWE_TOP_25_2024)))
def test_every_top_25_cwe_has_a_category_of_its_own(cwe: str) -> None:
    assert CWE_CATEGORIES.get(cwe) not in (None, FindingCategory.other), cwe


def test_top_25_lists_are_complete() -> None:
    assert len(set(CWE_TOP_25_2023)) == len(set(CWE_TOP_25_2024)) == 25


def test_table_names_only_real_categories_and_each_cwe_once() -> None:
    assert all(isinstance(c, FindingCategory) for c in CWE_CATEGORIES.values())
    assert all(cwe.startswith("CWE-") and cwe[4:].isdigit() for cwe in CWE_CATEGORIES)


@pytest.mark.parametrize(
    ("cwe", "category"),
    [
        ("CWE-78", FindingCategory.command_injection),
        ("CWE-94", FindingCategory.code_injection),
        ("CWE-918", FindingCategory.ssrf),
        ("CWE-611", FindingCategory.xxe),
        ("CWE-502", FindingCategory.insecure_deserialization),
        ("CWE-327", FindingCategory.weak_cryptography),
        ("CWE-338", FindingCategory.weak_cryptography),
        ("CWE-601", FindingCategory.open_redirect),
        ("CWE-352", FindingCategory.csrf),
        ("CWE-20", FindingCategory.input_validation),
        ("CWE-287", FindingCategory.broken_authentication),
        ("CWE-862", FindingCategory.missing_authorization),
        ("CWE-787", FindingCategory.memory_safety),
        ("CWE-416", FindingCategory.memory_safety),
        ("CWE-362", FindingCategory.race_condition),
        ("CWE-400", FindingCategory.resource_exhaustion),
        ("CWE-476", FindingCategory.null_dereference),
        ("CWE-190", FindingCategory.integer_overflow),
        ("CWE-434", FindingCategory.file_upload),
        ("CWE-1236", FindingCategory.csv_injection),
        ("CWE-89", FindingCategory.sql_injection),  # the original categories keep their CWEs
        ("CWE-319", FindingCategory.missing_encryption),
        ("CWE-798", FindingCategory.hardcoded_secret),
    ],
)
def test_cwe_lands_in_its_category(cwe: str, category: FindingCategory) -> None:
    assert category_for(cwe) is category


def test_a_specific_cwe_wins_over_a_broad_one_beside_it() -> None:
    assert primary_cwe(["CWE-20", "CWE-80"]) == "CWE-80"  # CodeQL's js/reflected-xss tags
    assert primary_cwe(["CWE-116", "CWE-79"]) == "CWE-79"
    assert primary_cwe(["CWE-20"]) == "CWE-20"
    assert primary_cwe(["CWE-99999", "CWE-20"]) == "CWE-20"
    assert primary_cwe(["CWE-99999"]) == "CWE-99999"


@needs_samples
def test_every_cwe_in_the_samples_is_in_the_table() -> None:
    seen: Counter[str] = Counter()
    for path in sample_files():
        seen.update(r.cwe_id for r in parsed(path).records if r.cwe_id)
    unknown = sorted(cwe for cwe in seen if cwe not in CWE_CATEGORIES)
    print(f"\n{len(seen)} distinct CWEs in {len(sample_files())} sample files")
    assert unknown == [], f"CWEs the table does not know: {unknown}"


@needs_samples
def test_other_stays_under_15_percent_of_results_that_carry_a_cwe() -> None:
    rows = []
    total = other = 0
    for path in sample_files():
        with_cwe = [r for r in parsed(path).records if r.cwe_id]
        in_other = sum(r.category is FindingCategory.other for r in with_cwe)
        total, other = total + len(with_cwe), other + in_other
        if with_cwe:
            rows.append(f"{path.parent.name}/{path.name}: {in_other} of {len(with_cwe)} in other")
    share = other / total
    print("\n" + "\n".join(rows))
    print(f"all samples: {other} of {total} results with a CWE in other ({share:.1%})")
    assert total > 1000
    assert share < OTHER_SHARE_LIMIT


@needs_samples
def test_ingest_reports_how_many_findings_fall_in_other() -> None:
    assert SAMPLES_DIR is not None
    path = SAMPLES_DIR / "codeql" / "lgtm_DefectDojo_export_2runs_js_python.sarif"
    report = ingest_file(path, defaults=SourceDefaults("lgtm", None)).report
    assert report.accepted == 510
    assert sum(report.categories.values()) == report.accepted
    assert report.with_cwe == 398 and report.other_with_cwe == 0  # all 398 were `other` before
    assert report.categories["code_quality"] == 241 and report.categories["error_handling"] == 144
    assert report.other == report.categories["other"] == 112  # results with no CWE and no keyword
    assert list(report.categories.values()) == sorted(report.categories.values(), reverse=True)
