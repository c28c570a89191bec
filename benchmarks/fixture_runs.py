"""A large runs folder for benchmarks: N finished runs of M findings each.

Findings come from the sample generator through the real ingest; sessions, events, reviews and
the index are written with the engine's own writers, so the folder looks like real history
without spending hours running the engine."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from engine.core.models import (
    AgentProgress,
    BatchRun,
    EventKind,
    RemediationSession,
    RunConfig,
    RunStatus,
    SessionStatus,
    TimelineEvent,
    WaveStatus,
)
from engine.core.planning import plan_waves
from engine.execute.tags import attempt_tag
from engine.execute.totals import compute_totals
from engine.ingest import ingest_bytes
from engine.launch.prepare import LaunchRecord
from engine.runs.index import IndexEntry, RunIndex, entry_for, index_path
from engine.runs.paths import RunPaths
from engine.runs.reviews import ReviewDecision, reviews_path
from engine.sample import write_sample_csv
from engine.storage.atomic import atomic_write_bytes


def build_runs_folder(runs_dir: Path, runs: int, findings: int, seed: int = 1) -> None:
    runs_dir.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    write_sample_csv(buffer, findings, seed)
    result = ingest_bytes(buffer.getvalue().encode(), "findings.csv")
    rng = random.Random(seed)
    start = datetime(2026, 6, 1, tzinfo=UTC)
    entries: list[IndexEntry] = []
    for number in range(runs):
        run_id = f"bench-{number:03d}"
        run = _finished_run(run_id, result.findings, start + timedelta(days=number), rng)
        paths = RunPaths.of(runs_dir, run_id)
        paths.root.mkdir(exist_ok=True)
        launch = LaunchRecord(
            run_id=run_id,
            created_at=run.created_at,
            source_file_name="findings.csv",
            upload="input.csv",
            config=run.config,
        )
        atomic_write_bytes(paths.launch, launch.model_dump_json().encode())
        atomic_write_bytes(paths.state, run.model_dump_json().encode())
        atomic_write_bytes(paths.events, _events(run))
        atomic_write_bytes(reviews_path(paths), _reviews(run, rng))
        entries.append(entry_for(run))
    entries.sort(key=lambda e: e.created_at, reverse=True)
    index_path(runs_dir).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(index_path(runs_dir), RunIndex(runs=entries).model_dump_json(indent=1).encode())


def _finished_run(run_id: str, findings: list, started: datetime, rng: random.Random) -> BatchRun:
    config = RunConfig(
        data_source="simulated",
        speed=1.0,
        seed=0,
        wave_size=50,
        max_parallel_sessions=10,
        max_acu_per_session=5,
        poll_interval_seconds=20,
        session_timeout_minutes=90,
        min_success_rate=0.0,
        max_retries=2,
    )
    waves = plan_waves(findings, config.wave_size)
    sessions: list[RemediationSession] = []
    clock = started
    for wave in waves:
        wave.status, wave.started_at = WaveStatus.completed, clock
        for fid in wave.finding_ids:
            for attempt in range(1, config.max_retries + 2):
                minutes = rng.uniform(8, 40)
                success = rng.random() < 0.8 or (attempt == config.max_retries + 1 and rng.random() < 0.5)
                done = clock + timedelta(minutes=minutes)
                sessions.append(
                    RemediationSession(
                        finding_id=fid,
                        attempt=attempt,
                        wave_number=wave.number,
                        tag=attempt_tag(run_id, fid, attempt),
                        session_id=f"devin-{rng.getrandbits(128):032x}",
                        status=SessionStatus.success if success else SessionStatus.failed,
                        dispatched_at=clock,
                        updated_at=done,
                        completed_at=done,
                        pull_request_url=f"https://github.com/acme-corp/svc/pull/{rng.randint(1, 9999)}"
                        if success
                        else None,
                        progress=AgentProgress(
                            current_step="completed" if success else "failed",
                            progress_pct=100 if success else 60,
                            confidence=round(rng.uniform(0.5, 0.99), 2),
                        ),
                        error=None if success else "tests failed after the fix",
                    )
                )
                if success:
                    break
        clock += timedelta(minutes=45)
        wave.completed_at = clock
        latest = {s.finding_id: s for s in sessions if s.wave_number == wave.number}
        wave.succeeded = sum(1 for s in latest.values() if s.status == SessionStatus.success)
        wave.failed = len(wave.finding_ids) - wave.succeeded
    run = BatchRun(
        run_id=run_id,
        status=RunStatus.completed,
        data_source="simulated",
        config=config,
        source_file_name="findings.csv",
        created_at=started,
        started_at=started,
        completed_at=clock,
        heartbeat_at=clock,
        findings=findings,
        waves=waves,
        sessions=sessions,
    )
    run.totals = compute_totals(run)
    return run


def _events(run: BatchRun) -> bytes:
    events = [
        TimelineEvent(
            ts=run.started_at,
            run_id=run.run_id,
            kind=EventKind.run_started,
            message="Run started (simulated)",
        )
    ]
    for s in run.sessions:
        kind = EventKind.session_completed if s.status == SessionStatus.success else EventKind.session_failed
        events.append(
            TimelineEvent(
                ts=s.completed_at,
                run_id=run.run_id,
                kind=kind,
                message=f"{s.finding_id} attempt {s.attempt} {s.status.value}",
                finding_id=s.finding_id,
                attempt=s.attempt,
                session_id=s.session_id,
            )
        )
    events.append(
        TimelineEvent(
            ts=run.completed_at, run_id=run.run_id, kind=EventKind.run_completed, message="Run completed"
        )
    )
    return b"".join(e.model_dump_json().encode() + b"\n" for e in events)


def _reviews(run: BatchRun, rng: random.Random) -> bytes:
    lines = []
    for s in run.sessions:
        if s.pull_request_url and rng.random() < 0.3:
            decision = ReviewDecision(
                run_id=run.run_id,
                finding_id=s.finding_id,
                attempt=s.attempt,
                session_id=s.session_id,
                pull_request_url=s.pull_request_url,
                decision="approved" if rng.random() < 0.85 else "rejected",
                reviewer="bench@local",
                decided_at=s.completed_at,
            )
            lines.append(decision.model_dump_json().encode() + b"\n")
    return b"".join(lines)
