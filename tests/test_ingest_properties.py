"""Property tests: whatever bytes arrive, ingest either refuses the file with BadInputError or
returns a report whose numbers add up and findings that are valid and listed most severe first."""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from engine.core.errors import BadInputError
from engine.core.models import SEVERITY_RANK, FindingCategory, Severity
from engine.ingest import IngestResult, ingest_bytes
from engine.ingest.columns import COLUMNS, normalize_name

MAX_LINE = 10_000_000

PROPERTY_SETTINGS = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def check_result(result: IngestResult) -> None:
    report = result.report
    findings = result.findings
    assert report.accepted == len(findings)
    assert report.accepted + report.rejected_rows + report.duplicates_merged == report.total_rows
    assert report.rejected_rows == len({p.row for p in report.rejected})
    assert all(p.row >= 2 for p in report.rejected + report.warnings)
    listed = [(-SEVERITY_RANK[f.severity], f.finding_id) for f in findings]
    assert listed == sorted(listed)
    for finding in findings:
        assert finding.severity in set(Severity)
        assert finding.category in set(FindingCategory)
        assert finding.finding_id and finding.title and finding.service_name
        assert finding.line_number is None or 1 <= finding.line_number <= MAX_LINE
        assert finding.finding_id not in finding.merged_ids


def ingest_or_refuse(data: bytes) -> None:
    try:
        result = ingest_bytes(data, "prop.csv")
    except BadInputError as exc:
        assert str(exc)
        event("refused")
        return
    event("accepted some" if result.report.accepted else "accepted none")
    check_result(result)


# --------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------

_VALID_HEADER = ",".join(COLUMNS).encode() + b"\n"


def _spellings(name: str) -> st.SearchStrategy[str]:
    return st.sampled_from(
        [name, name.upper(), name.replace("_", " ").title(), f" {name} ", name.replace("_", "-")]
    )


_JUNK_HEADER = st.text(alphabet=st.characters(blacklist_characters='",\r\n\x00'), min_size=0, max_size=8)
_HEADER_CELL = st.one_of(st.sampled_from(COLUMNS).flatmap(_spellings), _JUNK_HEADER)
_REQUIRED = ["finding_id", "category", "severity", "title", "service_name"]

_CELL = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "critical",
            " High ",
            "moderate",
            "urgent",
            "sqli",
            "xss",
            "weird",
            "payment-service",
            "./src/a.py",
            "src\\a.py",
            "1",
            "0",
            "-3",
            "1.5",
            "12.0",
            "CWE-89",
            "cwe89",
            "PW-1",
            "PW-2",
            '"',
            '""',
            'a "quoted" word',
            "a,b",
            "line\nbreak",
            "cr\r\nlf",
            "é ✓ 日本",
        ]
    ),
    st.text(max_size=12),
)


@st.composite
def csvish_files(draw: st.DrawFn, *, lead_good_row: bool = False) -> bytes:
    """Random headers from the real columns plus junk, random cells, random quoting.

    lead_good_row: the header always holds the required columns and line_number, and the
    first data row is a valid finding, so more examples reach dedupe and prioritizing."""
    header = draw(st.lists(_HEADER_CELL, min_size=1, max_size=9))
    if lead_good_row or draw(st.booleans()):
        # Often usable, so the checks past the header run: add the required columns once.
        added = [*_REQUIRED, "line_number"] if lead_good_row else _REQUIRED
        header = [h for h in header if normalize_name(h) not in added] + added
    header = draw(st.permutations(header))
    width = len(header)
    rows = draw(st.lists(st.lists(_CELL, min_size=0, max_size=width + 2), max_size=6))
    if lead_good_row:
        good = {
            "finding_id": "G-1",
            "category": "xss",
            "severity": "high",
            "title": "t",
            "service_name": "svc",
            "line_number": "5",
        }
        rows.insert(0, [good.get(h, "") for h in header])
    if draw(st.booleans()):
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
        writer.writerow(header)
        writer.writerows(rows)
        text = out.getvalue()
    else:  # raw joins: unbalanced quotes, embedded commas and newlines left as they are
        text = "\n".join(",".join(r) for r in [header, *rows]) + "\n"
    if draw(st.booleans()):
        text = "\ufeff" + text
    encoding = draw(st.sampled_from(["utf-8", "cp1252"]))
    return text.encode(encoding, errors="replace")


# --------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(data=st.binary(max_size=2048))
def test_random_bytes_only_ever_raise_bad_input(data: bytes) -> None:
    ingest_or_refuse(data)


@PROPERTY_SETTINGS
@given(tail=st.binary(max_size=1024))
def test_valid_header_then_random_bytes(tail: bytes) -> None:
    good = b"G-1,,xss,high,t,,svc,,,5,,,,,\n"
    ingest_or_refuse(_VALID_HEADER + good + tail)


@PROPERTY_SETTINGS
@given(data=csvish_files())
def test_random_csv_text_only_ever_raises_bad_input(data: bytes) -> None:
    ingest_or_refuse(data)


@PROPERTY_SETTINGS
@given(data=csvish_files(lead_good_row=True))
def test_random_csv_after_a_valid_row(data: bytes) -> None:
    ingest_or_refuse(data)
