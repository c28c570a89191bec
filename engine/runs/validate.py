"""`validate RUN_ID`: does a run folder hold together? Returns the problems found."""

from __future__ import annotations

import math
from collections import Counter

from pydantic import ValidationError

from engine.core.errors import BadInputError, DamagedFileError
from engine.core.models import BatchRun, RunStatus, SessionStatus, TimelineEvent, WaveStatus
from engine.execute.totals import compute_totals, latest_sessions
from engine.launch.findings_file import read_findings_file
from engine.runs.damage import read_run_file
from engine.runs.index import read_index
from engine.runs.journal import replay_journal
from engine.runs.launch_record import LaunchRecord, read_launch
from engine.runs.paths import RunPaths
from engine.runs.state_store import load_state


def validate_run(paths: RunPaths) -> list[str]:
    problems: list[str] = []
    record: LaunchRecord | None = None
    try:
        record = read_launch(paths)
    except DamagedFileError as exc:
        problems.append(f"launch.json is damaged: {exc.problem}")
    except OSError as exc:
        problems.append(f"launch.json unreadable: {_short(exc)}")
    try:
        run = load_state(paths.state)
    except FileNotFoundError:
        return [*problems, "state.json is missing (the engine never started?)"]
    except DamagedFileError as exc:
        return [*problems, f"state.json does not parse as a run: {exc.problem}"]
    problems += _check_planned(paths, run, earlier_version=record is not None and record.upload is None)
    problems += _check_sessions(run)
    problems += _check_waves(run)
    problems += _check_totals(run)
    problems += _check_events(paths)
    known = {s.session_id for s in run.sessions if s.session_id}
    for (fid, attempt), entry in replay_journal(paths.dispatch_journal).items():
        if entry.session_id and entry.session_id not in known:
            problems.append(
                f"session {entry.session_id} ({fid} attempt {attempt}) was created "
                "but is missing from state.json"
            )
    try:
        listed = {e.run_id for e in read_index(paths.root.parent).runs}
    except DamagedFileError as exc:
        problems.append(str(exc))
    else:
        if run.run_id not in listed:
            problems.append("runs/_shared/index.json does not list this run")
    return problems


def _check_planned(paths: RunPaths, run: BatchRun, *, earlier_version: bool) -> list[str]:
    """findings.json (the launcher's plan) and state.json hold the same findings: each planned
    one is in the run or held back. The upload itself is provenance only and is not needed."""
    if not paths.findings.exists():
        if earlier_version and paths.earlier_input.exists():
            return []  # launched by an earlier version: input.csv (and plan.json) was its plan
        return ["findings.json is missing"]
    try:
        planned = read_findings_file(paths.findings)
    except (BadInputError, ValidationError) as exc:
        return [f"findings.json unreadable: {_short(exc)}"]
    expected = {f.finding_id for f in planned.findings} | {h.finding.finding_id for h in planned.held_back}
    found = {f.finding_id for f in run.findings} | {h.finding.finding_id for h in run.held_back}
    problems = []
    if missing := sorted(expected - found):
        problems.append(f"findings.json plans {len(missing)} finding(s) state.json lacks, e.g. {missing[0]}")
    if unknown := sorted(found - expected):
        problems.append(
            f"state.json holds {len(unknown)} finding(s) findings.json never planned, e.g. {unknown[0]}"
        )
    return problems


def _check_sessions(run: BatchRun) -> list[str]:
    problems = []
    if run.data_source not in ("simulated", "live"):
        problems.append("data_source is not set")
    elif run.data_source != run.config.data_source:
        problems.append("data_source differs from the launch configuration")
    findings = {f.finding_id for f in run.findings}
    for key, count in Counter(s.key for s in run.sessions).items():
        if count > 1:
            problems.append(f"{count} sessions for finding {key[0]} attempt {key[1]}")
    for sid, count in Counter(s.session_id for s in run.sessions if s.session_id).items():
        if count > 1:
            problems.append(f"session id {sid} recorded {count} times")
    for s in run.sessions:
        if s.finding_id not in findings:
            problems.append(f"orphan session {s.session_id or s.tag}: unknown finding {s.finding_id}")
        if s.status != SessionStatus.pending and not s.session_id and s.error is None:
            problems.append(f"{s.finding_id} attempt {s.attempt} is {s.status.value} but has no session id")
    return problems


def _check_waves(run: BatchRun) -> list[str]:
    problems = []
    placed = Counter(fid for w in run.waves for fid in w.finding_ids)
    findings = {f.finding_id for f in run.findings}
    for fid in findings - placed.keys():
        problems.append(f"finding {fid} is in no wave")
    for fid in sorted(findings & {h.finding.finding_id for h in run.held_back}):
        problems.append(f"finding {fid} is both planned and held back")
    for fid, count in placed.items():
        if fid not in findings:
            problems.append(f"wave lists unknown finding {fid}")
        elif count > 1:
            problems.append(f"finding {fid} is in {count} waves")
    if [w.number for w in run.waves] != list(range(1, len(run.waves) + 1)):
        problems.append("waves are not numbered 1..n")
    latest = latest_sessions(run)
    for wave in run.waves:
        if wave.status in (WaveStatus.completed, WaveStatus.gated):
            if wave.succeeded + wave.failed != len(wave.finding_ids):
                problems.append(
                    f"wave {wave.number} counts {wave.succeeded}+{wave.failed} "
                    f"for {len(wave.finding_ids)} findings"
                )
            for fid in wave.finding_ids:
                s = latest.get(fid)
                if s is None or not s.status.is_terminal:
                    problems.append(
                        f"wave {wave.number} is {wave.status.value} but {fid} is "
                        f"{s.status.value if s else 'not dispatched'}"
                    )
    if run.status == RunStatus.completed:
        open_waves = [w.number for w in run.waves if w.status in (WaveStatus.pending, WaveStatus.running)]
        if open_waves:
            problems.append(f"run is completed but waves {open_waves} are not")
    return problems


USAGE_TOTALS = {"acus_reported", "sessions_without_usage"}


def _check_totals(run: BatchRun) -> list[str]:
    problems = []
    expected = compute_totals(run)
    stored, wanted = run.totals.model_dump(exclude=USAGE_TOTALS), expected.model_dump(exclude=USAGE_TOTALS)
    if stored != wanted:
        problems.append(f"stored totals {stored} differ from the sessions {wanted}")
    # A run recorded before the usage totals were kept has them at zero: nothing to compare.
    recorded = (run.totals.acus_reported, run.totals.sessions_without_usage) != (0.0, 0)
    if recorded and (
        not math.isclose(run.totals.acus_reported, expected.acus_reported, rel_tol=1e-9, abs_tol=1e-9)
        or run.totals.sessions_without_usage != expected.sessions_without_usage
    ):
        problems.append(
            f"stored ACU totals ({run.totals.acus_reported:g} reported, "
            f"{run.totals.sessions_without_usage} sessions without usage) differ from the sessions "
            f"({expected.acus_reported:g}, {expected.sessions_without_usage})"
        )
    t = expected
    if t.findings_succeeded + t.findings_failed + t.findings_open != t.findings:
        problems.append("finding outcomes do not add up to the number of findings")
    if sum(t.sessions_by_status.values()) != t.sessions:
        problems.append("session status counts do not add up")
    return problems


def _check_events(paths: RunPaths) -> list[str]:
    problems = []
    try:
        data = read_run_file(paths.events)
    except FileNotFoundError:
        return ["events.jsonl is missing"]
    except DamagedFileError as exc:
        return [f"events.jsonl is damaged: {exc.problem}"]
    lines = data.splitlines()
    torn_tail = bool(data) and not data.endswith(b"\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            TimelineEvent.model_validate_json(line)
        except ValidationError:
            if torn_tail and number == len(lines):
                continue  # a killed engine's half-written last line; resume cuts it off
            problems.append(f"events.jsonl line {number} does not parse")
    return problems


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200]
