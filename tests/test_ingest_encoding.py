"""Which encoding a findings file is read in, decided by the evidence of all its bytes: UTF-8 with
a few bad bytes stays UTF-8 (those bytes replaced, their rows named), real cp1252 stays cp1252,
UTF-16 with a byte-order mark is read; the report, `ingest --json` and the app say which."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.core.errors import BadInputError
from engine.core.sources import SourceDefaults
from engine.ingest import IngestLimits, ingest_bytes
from engine.launch.control import launch_plan_options
from engine.launch.prepare import initial_state, prepare_run
from engine.runs.launch_record import read_launch
from engine.settings.environment import load_settings
from tests.app_fixtures import open_page, texts, use_runs_fixture  # noqa: F401  (pytest fixture)
from tests.engine_helpers import cli

HEADER = "finding_id,category,severity,title,service_name\n"
GOOD = "A,xss,high,café — 日本,svc\n"


def ingest(data: bytes, name: str = "findings.csv"):
    return ingest_bytes(data, name, limits=IngestLimits())


def titles(result) -> dict[str, str]:
    return {f.finding_id: f.title for f in result.findings}


def utf8_with_a_bad_byte() -> bytes:
    """A UTF-8 export in which one byte of row 3 is not UTF-8 (a Latin-1 'é' pasted in)."""
    return (HEADER + GOOD).encode() + b"B,xss,high,r\xe9sum\xc3\xa9 leak,svc\n"


# --- UTF-8 that is damaged in a few places ------------------------------------------------------


def test_utf8_with_one_bad_byte_stays_utf8_and_names_the_row() -> None:
    data = utf8_with_a_bad_byte()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the test really feeds a byte that is not UTF-8
    result = ingest(data)
    report = result.report
    assert report.encoding == "utf-8"
    assert titles(result) == {"A": "café — 日本", "B": "r\ufffdsumé leak"}  # not "cafÃ© â€” æ—¥æœ¬"
    assert (report.replaced_bytes, report.replaced_rows) == (1, [3])
    (warning,) = report.warnings
    assert (warning.row, warning.column) == (3, "title")
    assert "not valid UTF-8" in warning.reason and "U+FFFD" in warning.reason
    assert report.encoding_summary == "utf-8, with 1 byte that is not UTF-8 replaced by U+FFFD (row 3)"


def test_bad_bytes_far_into_the_file_are_found_and_counted() -> None:
    rows = "".join(f"F-{i},xss,high,Überprüfung {i},svc\n" for i in range(3000))
    data = (
        (HEADER + rows).encode() + b"X-1,xss,high,cut \xe6\x97,svc\n" + b"X-2,xss,high,two \xff\xfe bad,svc\n"
    )
    report = ingest(data).report
    assert report.encoding == "utf-8"
    assert report.replaced_bytes == 4  # a cut 3-byte character (2 bytes) and two stray bytes
    assert report.replaced_rows == [3002, 3003]
    assert [w.row for w in report.warnings] == [3002, 3003]


def test_rows_are_named_as_spreadsheet_rows_not_lines() -> None:
    """A quoted cell may span lines: the row is still the record's number (header = row 1)."""
    data = (
        HEADER.replace("title", "title,description")
        + 'A,xss,high,t,"line one\nline two\nline three",svc\n'
        + "\n"
    ).encode() + "B,xss,high,t,ok,svc\nC,xss,high,ünï,cödé \xff,svc\n".encode().replace(b"\xc3\xbf", b"\xff")
    report = ingest(data).report
    assert report.replaced_rows == [5]  # header 1, A 2 (lines 2-4), blank 3, B 4, C 5 (line 7)
    (warning,) = report.warnings
    assert (warning.row, warning.column) == (5, "description")


def test_a_bad_byte_in_the_header_is_named_as_row_1() -> None:
    data = ("finding_id,category,severity,title,service_name,Ownér\n" + "A,xss,high,tïtle,svc,x\n").encode()
    data = data.replace("Ownér".encode(), b"Own\xe9r")
    report = ingest(data).report
    assert report.replaced_rows == [1] and "(row 1)" in report.encoding_summary
    assert report.warnings == []  # warnings are of findings' rows
    assert report.ignored_columns == ["Own\ufffdr"]


def test_the_file_kept_for_the_run_is_the_upload_and_the_run_reads_its_findings(tmp_path: Path) -> None:
    """The run folder keeps the upload's bytes as they came; the engine starts from the findings
    the launcher checked (with the replaced bytes), never from a re-read of the upload."""
    runs = tmp_path / "runs"
    settings = load_settings(runs_dir=runs)
    config, options = launch_plan_options(settings, use_ledger=False, live=False)
    data = utf8_with_a_bad_byte()
    paths, plan = prepare_run(data, "findings.csv", config, options, runs, "enc")
    record = read_launch(paths)
    assert record.upload is not None and paths.upload(record.upload).read_bytes() == data
    assert plan.report.replaced_rows == [3]
    again = initial_state(paths)
    assert sorted(f.title for f in again.findings) == sorted(f.title for f in plan.findings)
    assert any("\ufffd" in f.title for f in again.findings)


# --- cp1252, UTF-16 and neither ---------------------------------------------------------------


def test_a_real_cp1252_file_is_still_read_as_cp1252() -> None:
    text = HEADER + "A,xss,high,Café – déjà vu,svc\nB,xss,high,naïve “quotes” Ã© twice,svc\n"
    data = text.encode("cp1252")  # "Ã©" is C3 A9: valid UTF-8 by accident, one against many
    result = ingest(data)
    assert result.report.encoding == "cp1252"
    assert result.report.replaced_bytes == 0 and result.report.warnings == []
    assert titles(result) == {"A": "Café – déjà vu", "B": "naïve “quotes” Ã© twice"}


def test_a_file_that_is_neither_utf8_nor_cp1252_is_refused() -> None:
    data = (HEADER + "A,xss,high,x,svc\n").encode() + b"B,xss,high,\x81\x8d,svc\n"
    with pytest.raises(BadInputError, match=r"neither UTF-8 nor cp1252 text.*save it as UTF-8"):
        ingest(data)


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be"])
def test_utf16_with_a_byte_order_mark_is_read(codec: str) -> None:
    text = HEADER + GOOD
    data = text.encode(codec) if codec == "utf-16" else b"\xfe\xff" + text.encode(codec)
    result = ingest(data)
    assert result.report.encoding == "utf-16"
    assert titles(result) == {"A": "café — 日本"}


def test_a_utf16_scanner_file_is_read_too() -> None:
    doc = {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "CodeQL"}},
                "results": [{"ruleId": "r", "message": {"text": "Ünsafe"}, "level": "error"}],
            }
        ],
    }
    data = json.dumps(doc).encode("utf-16")
    result = ingest_bytes(data, "scan.sarif", limits=IngestLimits(), defaults=SourceDefaults("web"))
    assert result.report.format == "sarif" and result.report.encoding == "utf-16"


# --- what the command line and the app say -----------------------------------------------------


def test_ingest_says_how_the_file_was_read(tmp_path: Path) -> None:
    source = tmp_path / "findings.csv"
    source.write_bytes(utf8_with_a_bad_byte())
    done = cli(tmp_path / "runs", "ingest", str(source), "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert (out["encoding"], out["replaced_bytes"], out["replaced_rows"]) == ("utf-8", 1, [3])
    assert out["warnings"][0]["row"] == 3
    done = cli(tmp_path / "runs", "ingest", str(source))
    assert "read as utf-8, with 1 byte that is not UTF-8 replaced by U+FFFD (row 3)" in done.stdout
    source.write_bytes((HEADER + "A,xss,high,Café,svc\n").encode("cp1252"))
    done = cli(tmp_path / "runs", "ingest", str(source), "--json")
    assert json.loads(done.stdout)["encoding"] == "cp1252"


@pytest.mark.slow
def test_the_app_shows_the_encoding_and_the_replaced_rows(tmp_path: Path, use_runs) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    use_runs(runs)
    at = open_page("launch")
    at.file_uploader[0].upload("findings.csv", utf8_with_a_bad_byte(), "text/csv").run()
    assert not at.exception, at.exception
    shown = texts(at).replace("\\", "")
    assert "text encoding utf-8" in shown
    assert "1 byte that is not UTF-8 replaced by U+FFFD (row 3)" in shown
    assert any("U+FFFD" in w.value.replace("\\", "") for w in at.warning)
    assert any(b.key == "launch_run" for b in at.button)  # a warning, not a refusal
