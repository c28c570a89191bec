"""Where each file of a run lives, and which run ids are acceptable."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from engine.core.errors import BadInputError, RunNotFoundError
from engine.storage.links import refuse_links

RUN_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._-]")
_EXTENSION = re.compile(r"\.[a-z0-9]{1,10}")


def new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def check_run_id(run_id: str) -> str:
    if not RUN_ID_PATTERN.fullmatch(run_id) or ".." in run_id:
        raise BadInputError(
            f"invalid run id {run_id!r}: use 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return run_id


@dataclass(frozen=True)
class RunPaths:
    root: Path

    @classmethod
    def of(cls, runs_dir: Path, run_id: str) -> RunPaths:
        return cls(Path(runs_dir) / check_run_id(run_id))

    @classmethod
    def existing(cls, runs_dir: Path, run_id: str) -> RunPaths:
        """A run that has been launched, as every command on a run opens it: a run folder that
        is or holds a symbolic link is refused (`SymlinkRefusedError`), before anything in it
        is read or written."""
        paths = cls.of(runs_dir, run_id)
        refuse_links(paths.root)
        if not paths.launch.exists():
            raise RunNotFoundError(run_id, runs_dir)
        return paths

    @property
    def run_id(self) -> str:
        return self.root.name

    @property
    def state(self) -> Path:  # written by the run's engine only
        return self.root / "state.json"

    @property
    def events(self) -> Path:  # appended by the run's engine only
        return self.root / "events.jsonl"

    @property
    def dispatch_journal(self) -> Path:  # appended by the run's engine only
        return self.root / "dispatch.jsonl"

    @property
    def simulator_journal(self) -> Path:  # appended by the in-process simulator only
        return self.root / "simulator.jsonl"

    @property
    def simulator_stats(self) -> Path:  # written by the engine when its simulator stops
        return self.root / "simulator_stats.json"

    @property
    def findings(self) -> Path:  # written once by the launcher: the planned findings
        return self.root / "findings.json"

    def upload(self, file_name: str) -> Path:  # written once by the launcher: the upload's bytes
        return self.root / file_name

    @property
    def earlier_input(self) -> Path:  # runs launched by earlier versions: the findings as CSV
        return self.root / "input.csv"

    @property
    def earlier_plan(self) -> Path:  # runs launched by earlier versions with the ledger
        return self.root / "plan.json"

    @property
    def launch(self) -> Path:  # written once by the launcher: how the run was configured
        return self.root / "launch.json"

    @property
    def ingest_report(self) -> Path:  # written once by the launcher
        return self.root / "ingest_report.json"

    @property
    def bootstrap(self) -> Path:  # written by the launcher (`run --detach`, `resume --detach`)
        return self.root / "bootstrap.json"

    @property
    def engine_log(self) -> Path:
        return self.root / "engine.log"

    @property
    def engine_lock(self) -> Path:  # held by the live engine: one engine per run
        return self.root / "engine.lock"

    @property
    def resume_lock(self) -> Path:  # held from a resume's check until its engine has started
        return self.root / "resume.lock"

    def host_engine_lock(self, host: str) -> Path:
        """A fleet engine's lock: one engine per run on each host. Not shared between hosts:
        on shared storage a lock held by a stalled engine elsewhere would block failover (the
        run's lease in Redis is what keeps hosts apart)."""
        return self.root / f"engine.{_UNSAFE_IN_NAME.sub('_', host)[:64]}.lock"


def upload_file_name(source_name: str, file_format: str) -> str:
    """The name a run folder keeps an upload under: `input` with the upload's own extension
    (`input.csv`, `input.sarif`, `input.json`), or the format's when it has none usable."""
    suffix = Path(source_name).suffix.lower()
    if not _EXTENSION.fullmatch(suffix):
        suffix = ".csv" if file_format == "csv" else ".json"
    return f"input{suffix}"
