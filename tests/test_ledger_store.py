"""The ledger file: round trips, corrupt files left alone, and writers in several processes."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

import pytest

from engine.core.errors import BadInputError
from engine.ledger import Ledger, import_scan, ledger_path, read_ledger, update_ledger
from engine.runs.shared import shared_dir
from tests.ledger_helpers import at, finding, fp

WRITERS = 4
PER_WRITER = 50


def test_missing_file_reads_as_an_empty_ledger(tmp_path: Path) -> None:
    assert read_ledger(tmp_path, "live") == Ledger()
    assert ledger_path(tmp_path, "simulated") == shared_dir(tmp_path) / "ledger" / "simulated.json"


def test_update_writes_and_read_returns_the_same_ledger(tmp_path: Path) -> None:
    summary = update_ledger(tmp_path, "live", lambda led: import_scan(led, "s1", "a", [finding(1)], at(0)))
    assert summary.new == [fp(1)]
    ledger = read_ledger(tmp_path, "live")
    assert list(ledger.entries) == [fp(1)]
    assert ledger.entries[fp(1)].first_seen == at(0)
    # One file per data source: simulated work never shows up in the live ledger.
    assert read_ledger(tmp_path, "simulated") == Ledger()
    assert not list(ledger_path(tmp_path, "live").parent.glob(".tmp-*"))


def test_update_writes_only_when_the_content_changed(tmp_path: Path) -> None:
    update_ledger(tmp_path, "live", lambda led: import_scan(led, "s1", "a", [finding(1)], at(0)))
    path = ledger_path(tmp_path, "live")
    inode = path.stat().st_ino
    again = update_ledger(tmp_path, "live", lambda led: import_scan(led, "s1", "a", [finding(1)], at(9)))
    assert again.already_imported
    assert path.stat().st_ino == inode  # an atomic replace would have made a new file


def test_a_failing_change_writes_nothing(tmp_path: Path) -> None:
    update_ledger(tmp_path, "live", lambda led: import_scan(led, "s1", "a", [finding(1)], at(0)))
    before = ledger_path(tmp_path, "live").read_bytes()

    def half_done(ledger: Ledger) -> None:
        ledger.entries.clear()
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        update_ledger(tmp_path, "live", half_done)
    assert ledger_path(tmp_path, "live").read_bytes() == before


@pytest.mark.parametrize("content", [b"{not json", b'{"entries": {"x": {"title": 3}}}', b""])
def test_a_corrupt_ledger_is_reported_and_never_overwritten(tmp_path: Path, content: bytes) -> None:
    path = ledger_path(tmp_path, "live")
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with pytest.raises(BadInputError, match=r"live\.json: not a valid ledger file"):
        read_ledger(tmp_path, "live")
    with pytest.raises(BadInputError, match=r"live\.json: not a valid ledger file"):
        update_ledger(tmp_path, "live", lambda led: import_scan(led, "s1", "a", [finding(1)], at(0)))
    assert path.read_bytes() == content


def test_a_ledger_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = ledger_path(tmp_path, "live")
    path.parent.mkdir(parents=True)
    path.write_text('{"version": 2, "entries": {}, "imports": []}')
    with pytest.raises(BadInputError, match="ledger version 2 is newer"):
        read_ledger(tmp_path, "live")


@pytest.mark.parametrize("name", ["../live", "", "Live", "a/b", ".hidden"])
def test_data_source_names_cannot_leave_the_ledger_folder(tmp_path: Path, name: str) -> None:
    with pytest.raises(BadInputError, match="not a valid ledger name"):
        ledger_path(tmp_path, name)


def test_a_temp_file_left_by_a_killed_writer_is_removed(tmp_path: Path) -> None:
    update_ledger(tmp_path, "live", lambda led: import_scan(led, "s1", "a", [finding(1)], at(0)))
    leftover = ledger_path(tmp_path, "live").parent / ".tmp-live.json.k1ll3d"
    leftover.write_bytes(b'{"entries": {')
    update_ledger(tmp_path, "live", lambda led: import_scan(led, "s2", "b", [finding(2)], at(1)))
    assert not leftover.exists()
    assert set(read_ledger(tmp_path, "live").entries) == {fp(1), fp(2)}


def _write_many(runs_dir: str, worker: int) -> None:
    for j in range(PER_WRITER):
        n = worker * 1000 + j
        update_ledger(
            Path(runs_dir),
            "live",
            lambda led, n=n, j=j: import_scan(led, f"scan-{n}", f"w{worker}", [finding(n)], at(j)),
        )


def test_four_processes_updating_lose_nothing(tmp_path: Path) -> None:
    path = ledger_path(tmp_path, "live")
    unreadable: list[str] = []
    reads = 0
    stop = threading.Event()

    def watch() -> None:
        nonlocal reads
        while not stop.is_set():
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue
            reads += 1
            try:
                Ledger.model_validate_json(data)
            except ValueError as exc:
                unreadable.append(str(exc)[:200])

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_write_many, args=(str(tmp_path), w)) for w in range(WRITERS)]
    try:
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=120)
    finally:
        stop.set()
        watcher.join(10)
        for p in procs:
            if p.is_alive():
                p.kill()
                p.join()
    assert [p.exitcode for p in procs] == [0] * WRITERS
    assert unreadable == []
    assert reads > 0
    ledger = read_ledger(tmp_path, "live")
    expected = {fp(w * 1000 + j) for w in range(WRITERS) for j in range(PER_WRITER)}
    assert set(ledger.entries) == expected
    assert len(ledger.imports) == WRITERS * PER_WRITER
    assert not list(path.parent.glob(".tmp-*"))
