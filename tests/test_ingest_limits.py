"""Limits on one findings file: its size, its data rows and the time to check it.

Each limit refuses the whole file with a message naming the number and the limit; a file
exactly at a limit passes; a refused run writes nothing."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.core.errors import BadInputError
from engine.ingest import IngestLimits, ingest_bytes, ingest_file
from engine.ingest import limits as limits_module
from engine.launch.control import LaunchOptions, launch_detached, launch_plan_options
from engine.launch.prepare import prepare_run, read_source
from engine.runs.index import read_index
from engine.settings.environment import Settings, load_settings
from tests.app_fixtures import open_page, use_runs_fixture  # noqa: F401  (pytest fixture)
from tests.engine_helpers import cli

HEADER = b"finding_id,category,severity,title,service_name\n"


def findings_csv(rows: int, *, blank_lines: int = 0) -> bytes:
    body = b"".join(b"F-%d,sqli,high,Injection %d,api\n" % (i, i) for i in range(rows))
    return HEADER + body + b"\n" * blank_lines


def refusal(data: bytes, limits: IngestLimits, name: str = "findings.csv") -> str:
    with pytest.raises(BadInputError) as caught:
        ingest_bytes(data, name, limits=limits)
    return str(caught.value)


# --- the limits and their settings -----------------------------------------------------------


def test_defaults_match_the_settings() -> None:
    limits = IngestLimits.from_settings(Settings())
    assert limits == IngestLimits()
    assert limits.max_upload_bytes == 10 * 1024 * 1024
    assert limits.max_rows_per_run == 5000
    assert limits.parse_time_limit_seconds == 10


def test_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_UPLOAD_BYTES", "2048")
    monkeypatch.setenv("MAX_ROWS_PER_RUN", "10")
    monkeypatch.setenv("PARSE_TIME_LIMIT_SECONDS", "2.5")
    limits = IngestLimits.from_settings(load_settings())
    assert limits == IngestLimits(max_upload_bytes=2048, max_rows_per_run=10, parse_time_limit_seconds=2.5)


@pytest.mark.parametrize("field", ["max_upload_bytes", "max_rows_per_run", "parse_time_limit_seconds"])
def test_a_limit_must_be_positive(field: str) -> None:
    with pytest.raises(ValueError):
        Settings(**{field: 0})


# --- size ------------------------------------------------------------------------------------


def test_over_the_size_limit_is_refused_naming_size_and_limit() -> None:
    data = findings_csv(3)
    message = refusal(data, IngestLimits(max_upload_bytes=len(data) - 1))
    assert f"the file is {len(data)} bytes; the limit is {len(data) - 1} bytes" in message
    assert message.startswith("findings.csv: ")


def test_megabyte_sizes_read_as_megabytes() -> None:
    limits = IngestLimits()  # 10 MB
    with pytest.raises(BadInputError) as caught:
        limits.check_size(11 * 1024 * 1024, "big.csv")
    assert str(caught.value).startswith(
        "big.csv: the file is 11 MB (11,534,336 bytes); the limit is 10 MB (10,485,760 bytes)"
    )


def test_exactly_at_the_size_limit_passes() -> None:
    data = findings_csv(3)
    result = ingest_bytes(data, "findings.csv", limits=IngestLimits(max_upload_bytes=len(data)))
    assert result.report.accepted == 3


def test_the_size_is_refused_before_parsing() -> None:
    """Bytes that would fail to parse are refused for their size first: nothing was parsed."""
    data = b"\x00" * 200
    assert "the limit is 100 bytes" in refusal(data, IngestLimits(max_upload_bytes=100))


def test_ingest_file_checks_the_size_up_front(tmp_path: Path) -> None:
    path = tmp_path / "findings.csv"
    path.write_bytes(findings_csv(3))
    size = path.stat().st_size
    with pytest.raises(BadInputError, match=f"{size} bytes; the limit is {size - 1} bytes"):
        ingest_file(path, limits=IngestLimits(max_upload_bytes=size - 1))
    assert ingest_file(path, limits=IngestLimits(max_upload_bytes=size)).report.accepted == 3
    with pytest.raises(BadInputError, match="no such file"):  # a missing file still says so
        ingest_file(tmp_path / "missing.csv", limits=IngestLimits())


def test_read_source_refuses_an_oversized_file_before_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "findings.csv"
    path.write_bytes(findings_csv(3))
    with pytest.raises(BadInputError, match="the limit is 10 bytes"):
        read_source(path, IngestLimits(max_upload_bytes=10))
    assert read_source(path) == path.read_bytes()


# --- rows ------------------------------------------------------------------------------------


def test_over_the_row_limit_is_refused_as_a_whole() -> None:
    message = refusal(findings_csv(5432), IngestLimits())
    assert message == (
        "findings.csv: 5,432 data rows; the limit per run is 5,000 (MAX_ROWS_PER_RUN); "
        "split the file into several runs"
    )


def test_exactly_at_the_row_limit_passes() -> None:
    result = ingest_bytes(findings_csv(5000), "findings.csv", limits=IngestLimits())
    assert result.report.total_rows == 5000 and result.report.accepted == 5000


def test_blank_lines_are_not_data_rows_but_rejected_rows_are() -> None:
    limits = IngestLimits(max_rows_per_run=3)
    assert ingest_bytes(findings_csv(3, blank_lines=5), "f.csv", limits=limits).report.accepted == 3
    bad = findings_csv(3) + b"F-9,sqli,catastrophic,Bad severity,api\n"
    assert "4 data rows; the limit per run is 3" in refusal(bad, limits)


def test_without_limits_nothing_is_limited(tmp_path: Path) -> None:
    """Internal callers (the engine re-reading a run folder) pass no limits."""
    data = findings_csv(5001)
    assert ingest_bytes(data, "findings.csv").report.accepted == 5001
    path = tmp_path / "input.csv"
    path.write_bytes(data)
    assert ingest_file(path).report.accepted == 5001


# --- parse time ------------------------------------------------------------------------------


@pytest.fixture
def slow_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every reading of the clock is 4 s after the last."""
    ticks = itertools.count(step=4.0)
    monkeypatch.setattr(limits_module, "_clock", lambda: next(ticks))
    yield


def test_over_the_time_limit_is_refused_naming_time_and_limit(slow_clock: None) -> None:
    message = refusal(findings_csv(3), IngestLimits(parse_time_limit_seconds=10))
    # Readings at 0 (start), 4, 8 and 12 s: the third check is over the limit.
    assert message == (
        "findings.csv: checking the file took 12.0 s (stopped after merging duplicates); "
        "the limit is 10 s (PARSE_TIME_LIMIT_SECONDS); split the file into smaller ones"
    )


def test_the_time_limit_is_checked_after_each_stage(slow_clock: None) -> None:
    assert "took 4.0 s (stopped after reading the rows)" in refusal(
        findings_csv(3), IngestLimits(parse_time_limit_seconds=3)
    )


def test_exactly_at_the_time_limit_passes(slow_clock: None) -> None:
    result = ingest_bytes(findings_csv(3), "findings.csv", limits=IngestLimits(parse_time_limit_seconds=12))
    assert result.report.accepted == 3


# --- a refused run writes nothing ------------------------------------------------------------


def test_prepare_run_over_a_limit_writes_nothing(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    settings = load_settings(runs_dir=runs, max_rows_per_run=10)
    config, options = launch_plan_options(settings, use_ledger=False, live=False)
    with pytest.raises(BadInputError, match="11 data rows; the limit per run is 10"):
        prepare_run(findings_csv(11), "findings.csv", config, options, runs, "refused")
    assert not runs.exists()


def test_launch_detached_over_a_limit_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEVIN_API_KEY", raising=False)
    runs = tmp_path / "runs"
    settings = load_settings(runs_dir=runs, max_upload_bytes=100)
    with pytest.raises(BadInputError, match="the limit is 100 bytes"):
        launch_detached(findings_csv(10), "findings.csv", settings, LaunchOptions(), "refused")
    assert not (runs / "refused").exists()
    assert read_index(runs).runs == []


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"MAX_ROWS_PER_RUN": "10"}, "11 data rows; the limit per run is 10"),
        ({"MAX_UPLOAD_BYTES": "100"}, "the limit is 100 bytes"),
    ],
)
@pytest.mark.parametrize("command", ["run", "run --dry-run", "ingest", "plan"])
def test_a_refused_command_exits_2_and_leaves_no_run(
    tmp_path: Path, command: str, env: dict[str, str], says: str
) -> None:
    runs = tmp_path / "runs"
    source = tmp_path / "findings.csv"
    source.write_bytes(findings_csv(11))
    args = [*command.split(), str(source)]
    if command == "run":
        args += ["--run-id", "refused", "--speed", "1000"]
    done = cli(runs, *args, timeout=60, **env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert says in done.stderr
    assert not (runs / "refused").exists()
    assert read_index(runs).runs == []


def test_the_same_file_runs_within_the_limits(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    source = tmp_path / "findings.csv"
    source.write_bytes(findings_csv(11))
    done = cli(runs, "plan", str(source), MAX_ROWS_PER_RUN="11")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("11 findings")


# --- the app's upload ------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"MAX_ROWS_PER_RUN": "10"}, "11 data rows; the limit per run is 10"),
        ({"MAX_UPLOAD_BYTES": "100"}, "the limit is 100 bytes"),
    ],
)
def test_the_app_refuses_an_over_limit_upload(
    tmp_path: Path, use_runs, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], says: str
) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    use_runs(runs)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    at = open_page("launch")
    at.file_uploader[0].upload("findings.csv", findings_csv(11), "text/csv").run()
    assert not at.exception, at.exception
    assert any(says in e.value for e in at.error), [e.value for e in at.error]
    assert all(b.key != "launch_run" for b in at.button)
    assert read_index(runs).runs == []


@pytest.mark.slow
def test_the_app_accepts_an_upload_at_the_row_limit(
    tmp_path: Path, use_runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    use_runs(runs)
    monkeypatch.setenv("MAX_ROWS_PER_RUN", "11")
    at = open_page("launch")
    at.file_uploader[0].upload("findings.csv", findings_csv(11), "text/csv").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert any(b.key == "launch_run" for b in at.button)
