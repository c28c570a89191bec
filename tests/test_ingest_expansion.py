"""Inputs that expand: files that would take far more memory or time once read than their size
suggests are refused while they are read (results and rows counted as they stream, the clock
read while parsing), quickly, in memory bounded by a few times their size, with the real reason;
in the library, every command that reads a findings file, and the app's upload."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from engine.core.errors import BadInputError
from engine.core.sources import SourceDefaults
from engine.ingest import IngestLimits, ingest_bytes, ingest_file
from engine.runs.index import read_index
from engine.scanners import parse_scan
from tests.engine_helpers import engine_env
from tests.memory_probe import cli_script, probe, write
from tests.scanner_samples import SAMPLES_DIR, needs_samples

SERVICE = SourceDefaults(service_name="payments")
ROW_LIMIT = "more than 5,000 results (limit MAX_ROWS_PER_RUN"
MEMORY_FACTOR = 5  # a refused file may grow the process by at most this many times its size
EMPTY_RESULTS = 3_300_000
HEADER = b"finding_id,category,severity,title,service_name\n"


def empty_results_sarif(count: int = EMPTY_RESULTS) -> bytes:
    """A SARIF log of `count` empty results: 3 bytes each on disk (9.9 MB for 3.3 million, under
    the 10 MB upload limit), each a finding of its own once read."""
    head = b'{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":['
    return head + b"{}," * (count - 1) + b"{}]}]}"


def refusal(data: bytes, name: str, limits: IngestLimits | None = None, **kwargs) -> str:
    with pytest.raises(BadInputError) as caught:
        ingest_bytes(data, name, limits=limits or IngestLimits(), defaults=SERVICE, **kwargs)
    return str(caught.value)


def sarif(results: list[dict], *, tool: str = "CodeQL") -> bytes:
    return json.dumps(
        {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": tool}}, "results": results}]}
    ).encode()


def result(i: int, *, text: str = "", **extra: object) -> dict:
    return {
        "ruleId": f"rule-{i % 7}",
        "level": "error",
        "message": {"text": f"Problem {i}{text}"},
        "locations": [
            {"physicalLocation": {"artifactLocation": {"uri": f"src/m{i}.py"}, "region": {"startLine": 3}}}
        ],
        **extra,
    }


# --- the flood of empty results ----------------------------------------------------------------


def test_a_flood_of_empty_results_is_refused_at_the_row_limit_while_it_streams() -> None:
    data = empty_results_sarif()
    assert len(data) <= IngestLimits().max_upload_bytes
    started = time.monotonic()
    for defaults in (SERVICE, SourceDefaults()):  # without a service it once said that instead
        with pytest.raises(BadInputError) as caught:
            ingest_bytes(data, "findings.sarif", limits=IngestLimits(), defaults=defaults)
        message = str(caught.value)
        assert message.startswith("findings.sarif: " + ROW_LIMIT), message
        assert "split the scan" in message and "raise the limit" in message
    assert time.monotonic() - started < 10  # was 38 s or more, each


def test_the_same_results_just_under_the_limit_are_read() -> None:
    data = empty_results_sarif(5000)
    result = ingest_bytes(data, "findings.sarif", limits=IngestLimits(), defaults=SERVICE)
    assert result.report.total_rows == 5000


@pytest.mark.parametrize(
    "args",
    [
        ["ingest", "FILE"],
        ["plan", "FILE"],
        ["run", "FILE", "--run-id", "refused", "--speed", "1000"],
        ["ledger", "import", "FILE"],
    ],
    ids=["ingest", "plan", "run", "ledger-import"],
)
def test_every_command_refuses_the_flood_in_bounded_memory(tmp_path: Path, args: list[str]) -> None:
    runs = tmp_path / "runs"
    source = write(tmp_path / "findings.sarif", empty_results_sarif())
    size = source.stat().st_size
    measured = probe(
        cli_script([str(source) if a == "FILE" else a for a in args] + ["--service", "payments"]),
        engine_env(runs),
    )
    assert measured.result["code"] == 2, measured.stderr
    assert f"error: findings.sarif: {ROW_LIMIT}" in measured.stderr, measured.stderr
    assert measured.grown < MEMORY_FACTOR * size, f"grew {measured.grown:,} bytes for a {size:,}-byte file"
    assert measured.result["seconds"] < 10
    assert read_index(runs).runs == []
    assert not (runs / "refused").exists()


@pytest.mark.slow
def test_the_app_refuses_the_flood_in_bounded_memory(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    script = """
    from tests.app_fixtures import open_page
    from tests.test_ingest_expansion import empty_results_sarif
    data = empty_results_sarif()
    at = open_page("launch")
    baseline()
    at.file_uploader[0].upload("findings.sarif", data, "application/json").run()
    report(
        size=len(data),
        exception=str(at.exception) if at.exception else None,
        errors=[e.value for e in at.error],
        buttons=[b.key for b in at.button],
    )
    """
    measured = probe(script, engine_env(runs))
    found = measured.result
    assert found["exception"] is None, found["exception"]
    shown = [e.replace("\\", "") for e in found["errors"]]  # as markdown-escaped for display
    assert any(f"findings.sarif: {ROW_LIMIT}" in e for e in shown), found["errors"]
    assert "launch_run" not in found["buttons"]
    size = found["size"]
    assert measured.grown < MEMORY_FACTOR * size, f"grew {measured.grown:,} bytes for a {size:,}-byte file"
    assert read_index(runs).runs == []


# --- other ways to expand ----------------------------------------------------------------------


def test_results_that_are_not_findings_are_bounded_too() -> None:
    """Suppressed results are not run, but each is read and listed: a file of nothing else is
    refused past four times the row limit, while it is read."""
    suppressed = [{"suppressions": [{"kind": "external"}]}] * 20_001
    message = refusal(sarif(suppressed), "findings.sarif")
    assert (
        "more than 20,000 results in all, suppressed, dismissed, fixed and passing ones included" in message
    )
    assert "(limit 4 x MAX_ROWS_PER_RUN)" in message


def test_suppressed_results_and_snyk_paths_do_not_count_as_findings() -> None:
    """The count that stops a file is of findings: 6,000 results of which 2,000 are suppressed,
    and 12,000 Snyk entries that are 3,000 vulnerabilities reached by four paths each, are read.
    Their text is full of commas, so the first pass streams them rather than trusting a count
    of bytes."""
    commas = ", see: " + ",".join(["x"] * 30)
    results = [
        result(i, text=commas, **({"suppressions": [{"kind": "inSource"}]} if i % 3 == 0 else {}))
        for i in range(6000)
    ]
    report = ingest_bytes(sarif(results), "findings.sarif", limits=IngestLimits(), defaults=SERVICE).report
    assert report.total_rows == 4000 and report.suppressed == 2000

    vulnerabilities = [
        {
            "id": f"SNYK-JS-{i % 3000}",
            "packageName": f"pkg{i % 3000}",
            "version": "1.0.0",
            "severity": "high",
            "title": f"Prototype pollution{commas}",
            "from": ["app@1.0.0", f"dep{i // 3000}@1.0.0", f"pkg{i % 3000}@1.0.0"],
        }
        for i in range(12_000)
    ]
    snyk = json.dumps({"vulnerabilities": vulnerabilities, "packageManager": "npm", "projectName": "web"})
    report = ingest_bytes(snyk.encode(), "snyk.json", limits=IngestLimits()).report
    assert report.total_rows == 3000


def test_a_dense_document_is_refused_before_it_is_built() -> None:
    """One result holding three million empty lists: few results, but 60 MB of objects."""
    data = (
        b'{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"properties":{"a":[' + b"[],"
    )
    data = data + b"[]," * 3_000_000 + b"[]]}}]}]}"
    message = refusal(data, "findings.sarif")
    assert "findings.sarif: the JSON holds 3,000,0" in message
    assert "one value per 12 bytes" in message


def test_deep_nesting_is_refused_with_a_clear_message() -> None:
    for data in (b"[" * 300_000 + b"]" * 300_000, b'{"a":' * 200_000 + b"1" + b"}" * 200_000):
        started = time.monotonic()
        assert "nested more than 128 levels deep" in refusal(data, "deep.json")
        assert time.monotonic() - started < 10
    # Shallow enough to stream unchecked, too deep for json: still bad input, not a crash.
    assert "nested too deeply" in refusal(b"[" * 5000 + b"]" * 5000, "deep.json")


def test_a_number_too_long_to_read_is_bad_input() -> None:
    """Python refuses integers of more than 4,300 digits; that was an internal error, and the
    streaming parser would crash the process on one."""
    long_number = b"9" * 5000
    sparse = sarif([result(1)]).replace(b'"startLine": 3', b'"startLine": ' + long_number)
    assert "a number in the JSON has more than 4,300 digits" in refusal(sparse, "findings.sarif")
    dense = empty_results_sarif(200_000).replace(b"[{}", b'[{"n":' + long_number + b"}", 1)
    assert "more than 4,300 digits" in refusal(dense, "findings.sarif")


def test_a_gigantic_cell_rejects_its_row() -> None:
    data = HEADER + b"F-1,sqli,high," + b"x" * 500_000 + b",api\nF-2,sqli,high,Injection,api\n"
    report = ingest_bytes(data, "findings.csv", limits=IngestLimits()).report
    assert report.accepted == 1
    (problem,) = report.rejected
    assert (problem.row, problem.column) == (2, "title")
    assert "more than 131,072 characters" in problem.reason
    assert len(problem.value or "") <= 200  # the report does not carry the cell along


# --- CSV: rows counted as they are read ---------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "says"),
    [
        # 580,000 data rows in 9.8 MB: refused at the first chunk of rows.
        (b"".join(b"%x,s,high,t,a\n" % i for i in range(580_000)), "more than 50,000 data rows"),
        # 1.9 million rows of empty cells (a spreadsheet's formatted but unused rows): blank
        # rows are dropped as they are read, so the one finding is read without the rest.
        (b",,,,\n" * 1_900_000 + b"F-1,sqli,high,t,api\n", None),
    ],
    ids=["many-rows", "blank-rows"],
)
def test_a_csv_of_millions_of_rows_costs_a_few_times_its_size(
    tmp_path: Path, body: bytes, says: str | None
) -> None:
    source = write(tmp_path / "findings.csv", HEADER + body)
    size = source.stat().st_size
    assert size <= IngestLimits().max_upload_bytes
    measured = probe(cli_script(["ingest", str(source), "--json"]), engine_env(tmp_path / "runs"))
    if says is None:
        assert measured.result["code"] == 0, measured.stderr
    else:
        assert measured.result["code"] == 2 and says in measured.stderr, measured.stderr
    assert measured.grown < MEMORY_FACTOR * size, f"grew {measured.grown:,} bytes for a {size:,}-byte file"


def test_blank_rows_are_counted_not_kept() -> None:
    data = HEADER + b"\n" * 200_000 + b"F-1,sqli,high,t,api\n" + b",,,,\n" * 100_000
    result = ingest_bytes(data, "findings.csv", limits=IngestLimits())
    assert result.report.blank_rows == 300_000 and result.report.accepted == 1
    assert result.findings[0].source_row == 200_002
    assert len(result.table) == 1


# --- the time limit, checked while parsing -----------------------------------------------------


def test_a_slow_scanner_file_is_stopped_while_its_results_are_read() -> None:
    data = sarif([result(i, text=" in a long message" * 20) for i in range(4000)])
    message = refusal(data, "slow.sarif", IngestLimits(parse_time_limit_seconds=0.001))
    assert message.startswith("slow.sarif: checking the file took ")
    assert "(stopped while reading runs[0].results[" in message
    assert "the limit is 0.001 s (PARSE_TIME_LIMIT_SECONDS)" in message


def test_a_slow_dense_file_is_stopped_while_it_streams() -> None:
    limits = IngestLimits(max_rows_per_run=10_000_000, parse_time_limit_seconds=0.001)
    message = refusal(empty_results_sarif(1_000_000), "slow.sarif", limits)
    assert "checking the file took" in message and "(stopped while reading result " in message


def test_a_slow_csv_is_stopped_while_its_rows_are_read() -> None:
    data = HEADER + b"".join(b"F-%d,sqli,high,t,a\n" % i for i in range(120_000))
    limits = IngestLimits(max_rows_per_run=1_000_000, parse_time_limit_seconds=0.001)
    message = refusal(data, "slow.csv", limits)
    assert "(stopped while reading row 50,002)" in message


def test_without_limits_nothing_is_counted(tmp_path: Path) -> None:
    """The engine's own re-read of a run folder passes no limits."""
    path = write(tmp_path / "input.sarif", empty_results_sarif(6000))
    assert ingest_file(path, defaults=SERVICE).report.total_rows == 6000


# --- the first pass never counts more findings than the parsers find ---------------------------


@needs_samples
def test_the_streamed_count_of_every_sample_is_at_most_its_findings() -> None:
    from engine.scanners import ScanBudget
    from engine.scanners.survey import stream_count

    checked = 0
    assert SAMPLES_DIR is not None
    for path in sorted(p for p in SAMPLES_DIR.rglob("*") if p.suffix in (".json", ".sarif")):
        data = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
        try:
            parsed = parse_scan(data, path.name)
        except BadInputError:
            continue
        findings = sum(1 for r in parsed.records if not r.suppressed)
        budget = ScanBudget(path.name, 10**9)
        stream_count(data, path.name, budget)
        assert budget.findings <= findings, path.name
        assert parse_scan(data, path.name, ScanBudget(path.name, 10**9)).records == parsed.records
        checked += 1
    assert checked >= 30
