"""The engine's data model: findings, sessions, waves, runs and timeline events.

Every model round-trips through JSON unchanged (`model_dump_json` -> `model_validate_json`),
because the run folder is the only channel between the engine process and the app.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from engine.core.acu_caps import AcuCapRule
from engine.core.agent_overrides import AgentOverrides
from engine.core.finding_kinds import FindingCategory, Severity
from engine.core.pace import DispatchPace
from engine.settings.run_settings import RunSettings


def utcnow() -> datetime:
    return datetime.now(UTC)


class SessionStatus(StrEnum):
    pending = "pending"  # intent recorded, create request not yet answered
    dispatched = "dispatched"  # the API returned a session id
    working = "working"
    blocked = "blocked"  # the agent waits for a human
    success = "success"
    failed = "failed"
    timeout = "timeout"
    interrupted = "interrupted"  # the run stopped while this session was in flight

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_SESSION_STATUSES


TERMINAL_SESSION_STATUSES = frozenset({SessionStatus.success, SessionStatus.failed, SessionStatus.timeout})
IN_FLIGHT_SESSION_STATUSES = frozenset(
    {SessionStatus.dispatched, SessionStatus.working, SessionStatus.blocked}
)
# Interrupted is not terminal: resume picks those sessions up again.


class RunStatus(StrEnum):
    pending = "pending"  # folder prepared, engine not started yet
    running = "running"
    paused = "paused"  # a wave fell below the success gate, or the API stayed away; `resume` continues
    interrupted = "interrupted"  # stopped by a signal; `resume` continues
    completed = "completed"
    failed = "failed"  # the engine hit an internal error; `resume` retries


# A paused run's status_reason when the agent API stayed unavailable past the run's horizon.
API_UNAVAILABLE_REASON = "api_unavailable"

RESUMABLE_RUN_STATUSES = frozenset(
    {RunStatus.pending, RunStatus.paused, RunStatus.interrupted, RunStatus.failed}
)


class WaveStatus(StrEnum):
    pending = "pending"
    running = "running"
    completed = "completed"
    gated = "gated"  # finished below min_success_rate; the run paused after it
    skipped = "skipped"  # not part of this run (`run --wave N`)


class EventKind(StrEnum):
    run_started = "run_started"
    run_resumed = "run_resumed"
    wave_started = "wave_started"
    session_dispatched = "session_dispatched"
    session_completed = "session_completed"
    session_failed = "session_failed"
    wave_completed = "wave_completed"
    wave_gated = "wave_gated"
    run_completed = "run_completed"
    run_interrupted = "run_interrupted"
    run_failed = "run_failed"
    api_unavailable = "api_unavailable"  # the circuit breaker opened: dispatch paused
    api_recovered = "api_recovered"  # a probe succeeded: dispatch resumed
    finding_held_back = "finding_held_back"  # the ledger refused a dispatch (budget, other run)
    run_paused = "run_paused"  # the API stayed unavailable past the horizon: the run paused
    session_nudged = "session_nudged"  # a stalled session was sent a message (engine.execute.supervision)
    session_stalled_out = "session_stalled_out"  # it stalled again after its nudge: terminated
    retry_feedback = "retry_feedback"  # a retry's prompt carries what its predecessor did
    dispatch_slowed = "dispatch_slowed"  # 429s or a review backlog slowed dispatch (engine.execute.pacing)
    dispatch_recovered = "dispatch_recovered"  # back to the run's full parallel limit


# How severe, as a number to sort by: higher is more severe.
SEVERITY_RANK: dict[Severity, int] = {
    Severity.critical: 4,
    Severity.high: 3,
    Severity.medium: 2,
    Severity.low: 1,
}


class PriorityScore(BaseModel):
    """A finding's priority, in points; `total` is the sum of the parts. There is one score
    (engine.policy.priority says what each part means): a run planned against the findings
    ledger scores against the ledger's history, a run without it against an empty history."""

    model_config = ConfigDict(frozen=True)

    service_importance: float
    severity: float
    sla_urgency: float
    fix_rate: float
    recurrence: float
    objective_boost: float
    total: float

    @classmethod
    def of(
        cls,
        *,
        service_importance: float,
        severity: float,
        sla_urgency: float,
        fix_rate: float,
        recurrence: float,
        objective_boost: float,
    ) -> PriorityScore:
        """Rounds each part to 0.1 and sets `total` to their sum, so the UI's parts add up."""
        parts = [
            round(value, 1)
            for value in (service_importance, severity, sla_urgency, fix_rate, recurrence, objective_boost)
        ]
        return cls(
            service_importance=parts[0],
            severity=parts[1],
            sla_urgency=parts[2],
            fix_rate=parts[3],
            recurrence=parts[4],
            objective_boost=parts[5],
            total=round(sum(parts), 1),
        )

    def parts(self) -> dict[str, float]:
        """The parts by name, in display order (without the total)."""
        return self.model_dump(exclude={"total"})

    def explain(self) -> str:
        """The score's parts in words, e.g. "service 26.2 + severity 30 + SLA 0.1 + fix rate 5 +
        recurrence 0 + objectives 0": how the Launch preview, `plan` and the Findings page
        explain a score."""
        return " + ".join(f"{SCORE_PART_LABELS[name]} {value:g}" for name, value in self.parts().items())


SCORE_PART_LABELS: dict[str, str] = {
    "service_importance": "service",
    "severity": "severity",
    "sla_urgency": "SLA",
    "fix_rate": "fix rate",
    "recurrence": "recurrence",
    "objective_boost": "objectives",
}


class Finding(BaseModel):
    finding_id: str
    scanner: str | None = None
    category: FindingCategory
    severity: Severity
    title: str
    description: str | None = None
    service_name: str
    repo_url: str | None = None
    file_path: str | None = None
    line_number: int | None = Field(default=None, ge=1)
    cwe_id: str | None = None
    dependency_name: str | None = None
    current_version: str | None = None
    fixed_version: str | None = None
    language: str | None = None
    # Stable identity across scans and runs (20 hex characters; see engine.core.fingerprints).
    fingerprint: str | None = None
    rule_id: str | None = None  # the scanner's rule or advisory id
    # Ids of the duplicate rows folded into this finding (the survivor's own id excluded).
    merged_ids: list[str] = Field(default_factory=list)
    # Spreadsheet-style row of the source file (header is row 1).
    source_row: int | None = None
    # Set by the plan (engine/launch/planner.py): the score the run is ordered by, and the place.
    priority: PriorityScore | None = None
    priority_rank: int | None = None  # 1 = most urgent

    @model_validator(mode="before")
    @classmethod
    def _earlier_scores(cls, data: Any) -> Any:
        """Runs recorded by earlier versions kept a cross-run score as `ledger_score` and a
        file-weight score (severity/category/service weights, since retired) as `priority`."""
        if not isinstance(data, dict):
            return data
        earlier = data.get("priority")
        if "ledger_score" in data or (isinstance(earlier, dict) and "category" in earlier):
            data = dict(data)
            data["priority"] = data.pop("ledger_score", None)
        return data

    @property
    def score(self) -> float:
        return self.priority.total if self.priority else 0.0


class AgentProgress(BaseModel):
    """The agent's structured output, as far as it has written it."""

    model_config = ConfigDict(extra="allow")

    current_step: str | None = None
    progress_pct: float | None = None
    fix_approach: str | None = None
    files_modified: list[str] = Field(default_factory=list)
    tests_passed: bool | None = None
    tests_added: int | None = None
    tests_run: list[str] = Field(default_factory=list)  # the test commands the agent ran
    confidence: float | None = None
    pr_url: str | None = None
    error: str | None = None

    @classmethod
    def from_output(cls, output: dict[str, Any] | None) -> AgentProgress | None:
        """Keeps what the agent wrote correctly and drops fields of the wrong type."""
        if not output:
            return None
        try:
            return cls.model_validate(output)
        except ValueError:
            good = {}
            for name, value in output.items():
                try:
                    cls.model_validate({name: value})
                except ValueError:
                    continue
                good[name] = value
            return cls.model_validate(good)


StallMinutes = Annotated[float, Field(ge=0)]  # agent minutes; 0: no supervision


class AttemptFeedback(BaseModel):
    """What a retry is told about the attempt before it (engine.devin.feedback): its outcome,
    its structured output and its last messages, each bounded. Kept on the retry's session,
    so a re-dispatch after a crash sends the very same prompt."""

    attempt: int = Field(ge=1)  # the previous attempt's number
    outcome: str  # its SessionStatus
    error: str | None = None
    structured_output: dict[str, Any] = Field(default_factory=dict)
    last_messages: list[str] = Field(default_factory=list)  # the agent's, oldest first
    nudges: int = 0  # how often the engine nudged it


DataSource = Literal["simulated", "live"]


class RemediationSession(BaseModel):
    finding_id: str
    attempt: int = Field(ge=1)
    wave_number: int = Field(ge=1)
    tag: str  # deterministic per run, finding and attempt; the key for idempotent create
    # The API this session lives on, in a hybrid run (engine.execute.routing); None: the run's own.
    data_source: DataSource | None = None
    session_id: str | None = None
    url: str | None = None  # only the create response carries it
    status: SessionStatus = SessionStatus.pending
    remote_status: str | None = None
    remote_status_enum: str | None = None
    playbook_id: str | None = None
    intent_at: datetime = Field(default_factory=utcnow)
    dispatched_at: datetime | None = None
    updated_at: datetime | None = None
    completed_at: datetime | None = None
    # Seconds the session has been in flight, as the engines that watched it measured them on
    # a monotonic clock, plus the time no engine watched it (see engine.execute.session_clock).
    # Its time limit is checked against this, never against dispatched_at (which is for display).
    in_flight_seconds: float = Field(default=0.0, ge=0)
    pull_request_url: str | None = None
    progress: AgentProgress | None = None
    error: str | None = None
    retryable: bool = True  # False when another attempt would fail the same way
    # ACUs the session used, as the API last reported them (v2/v3 and the simulator report
    # them; None when the API does not say, as v1 does not). Cost is computed from these.
    acus_consumed: float | None = Field(default=None, ge=0)
    # The lessons from memory (engine.memory) its prompt carried, best first: chosen once,
    # before the create, so a re-sent create carries the same ones.
    memory_ids: list[str] = Field(default_factory=list)
    # The max_acu_limit the session was created with, chosen from the policy's ACU cap table
    # (engine/core/acu_caps.py), and the rule that chose it. None: created before caps were recorded.
    acu_limit: int | None = Field(default=None, ge=1)
    acu_limit_rule: str | None = None
    # Supervision (engine.execute.supervision): nudges sent, and the in-flight seconds (the
    # clock above) at the latest sign of activity (a status change or a new message).
    nudges: int = Field(default=0, ge=0)
    active_at_seconds: float = Field(default=0.0, ge=0)
    remote_updated_at: str | None = None  # the API's updated_at when last seen
    last_messages: list[str] = Field(default_factory=list)  # the agent's, read when it ended
    feedback: AttemptFeedback | None = None  # what this retry was told about the attempt before

    @property
    def key(self) -> tuple[str, int]:
        return (self.finding_id, self.attempt)


class Wave(BaseModel):
    number: int = Field(ge=1)
    finding_ids: list[str]
    status: WaveStatus = WaveStatus.pending
    started_at: datetime | None = None
    completed_at: datetime | None = None
    succeeded: int = 0
    failed: int = 0

    @property
    def success_rate(self) -> float | None:
        done = self.succeeded + self.failed
        return self.succeeded / done if done else None


class RunLedgerConfig(BaseModel):
    """The cross-run limits a run keeps while it dispatches, fixed when it was launched."""

    global_session_limit: int = Field(ge=0)
    global_period_hours: float = Field(gt=0)
    cooldown_hours: list[float]
    max_failures: int = Field(ge=1)


class RunConfig(RunSettings):
    """Everything `resume` needs to continue a run as it was launched: the run settings
    (engine/settings/run_settings.py) frozen at launch, and how this run was started. Never the API key."""

    data_source: DataSource
    api_base_url: str | None = None  # None: the in-process simulator
    # A live run with connected repositories is hybrid: only their findings go to the Devin
    # API, the rest to the in-process simulator (engine.execute.routing). Frozen at launch.
    connected_repos: list[str] = Field(default_factory=list)
    only_wave: int | None = Field(default=None, ge=1)
    # Service name (as the services file spells it) -> what its sessions are told; copied at
    # launch so a resumed run sends the very prompts it sent before.
    agent_overrides: dict[str, AgentOverrides] = Field(default_factory=dict)
    # The policy's ACU cap table, copied at launch for the same reason: each session's
    # max_acu_limit by category and severity (max_acu_per_session where no rule matches).
    acu_caps: list[AcuCapRule] = Field(default_factory=list)
    # Where simulated pull requests link to: the pull request page server that reads run folders
    # (engine.simulator.pull_server). None: the in-process simulator's own (short-lived) address.
    sim_pull_pages_url: str | None = None
    dry_run: bool = False
    ledger: RunLedgerConfig | None = None  # None: the run does not use the findings ledger
    # STALL_MINUTES per category where it differs (engine.execute.supervision), frozen at launch.
    stall_minutes_by_category: dict[FindingCategory, StallMinutes] = Field(default_factory=dict)

    @property
    def hybrid(self) -> bool:
        return self.data_source == "live" and bool(self.connected_repos)

    def stall_minutes_for(self, category: FindingCategory) -> float:
        """The agent minutes after which a session of `category` counts as stalled (0: never)."""
        return self.stall_minutes_by_category.get(category, self.stall_minutes)


class RunTotals(BaseModel):
    findings: int = 0
    by_severity: dict[str, int] = Field(default_factory=dict)
    sessions: int = 0
    sessions_by_status: dict[str, int] = Field(default_factory=dict)
    findings_succeeded: int = 0
    findings_failed: int = 0
    findings_open: int = 0
    pull_requests: int = 0
    # ACUs the API reported over every session (engine.analytics.cost adds estimates for the
    # created sessions it reported none for, counted in sessions_without_usage).
    acus_reported: float = 0.0
    sessions_without_usage: int = 0

    @property
    def success_rate(self) -> float | None:
        done = self.findings_succeeded + self.findings_failed
        return self.findings_succeeded / done if done else None


LATENCY_BUCKETS: tuple[float, ...] = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class LatencyHistogram(BaseModel):
    """Seconds per call in LATENCY_BUCKETS (each count is of calls up to that bound and above
    the previous one; the last count is of calls slower than every bound), for metrics."""

    counts: list[int] = Field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS) + 1))
    sum: float = 0.0
    count: int = 0

    def observe(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        index = next((i for i, bound in enumerate(LATENCY_BUCKETS) if seconds <= bound), len(LATENCY_BUCKETS))
        if len(self.counts) != len(LATENCY_BUCKETS) + 1:  # bounds changed since it was written:
            self.counts, self.sum, self.count = [0] * (len(LATENCY_BUCKETS) + 1), 0.0, 0  # start over
        self.counts[index] += 1
        self.sum += seconds
        self.count += 1


class EngineStats(BaseModel):
    """I/O counters, summed over every engine process that worked on the run."""

    state_writes: int = 0
    state_bytes_written: int = 0  # by the writes before the one that produced this file
    api_calls: int = 0
    # For the metrics (engine.metrics): failed API calls by kind (see engine.metrics.series),
    # and how long creates and polls took.
    api_errors: dict[str, int] = Field(default_factory=dict)
    dispatch_latency: LatencyHistogram = Field(default_factory=LatencyHistogram)
    poll_latency: LatencyHistogram = Field(default_factory=LatencyHistogram)


class ApiHealth(BaseModel):
    """The agent API as the engine's circuit breaker sees it."""

    status: Literal["ok", "unavailable"] = "ok"
    since: datetime | None = None  # when it became unavailable
    last_error: str | None = None


class HeldBackFinding(BaseModel):
    """A finding of the upload this run does not work on, and why (see engine.policy.plan)."""

    finding: Finding
    reason: str  # a SkipReason value
    detail: str
    at: datetime = Field(default_factory=utcnow)
    when: Literal["planned", "dispatch"] = "planned"  # refused at plan time or at dispatch


class BatchRun(BaseModel):
    run_id: str
    status: RunStatus = RunStatus.pending
    status_reason: str | None = None
    data_source: DataSource
    config: RunConfig
    source_file_name: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    completed_at: datetime | None = None
    # Written with every snapshot by the run's engine: when (wall time, for display and for
    # readers on other hosts), and who (see engine.runs.process_identity and engine.core.clock).
    heartbeat_at: datetime | None = None
    heartbeat_monotonic: float | None = None  # the engine's time.monotonic() at heartbeat_at
    pid: int | None = None
    pid_create_time: float | None = None  # tells our engine from a later process reusing the pid
    pid_start_ticks: int | None = None  # the same, in clock ticks since boot: no clock step moves it
    engine_host: str | None = None
    engine_boot_id: str | None = None
    engine_worker: str | None = None  # the fleet worker whose job runs the engine (engine/fleet/)
    findings: list[Finding] = Field(default_factory=list)
    held_back: list[HeldBackFinding] = Field(default_factory=list)
    waves: list[Wave] = Field(default_factory=list)
    sessions: list[RemediationSession] = Field(default_factory=list)
    playbook_ids: dict[str, str] = Field(default_factory=dict)
    totals: RunTotals = Field(default_factory=RunTotals)
    engine_stats: EngineStats = Field(default_factory=EngineStats)
    api_health: ApiHealth = Field(default_factory=ApiHealth)
    dispatch_pace: DispatchPace = Field(default_factory=DispatchPace)
    # The loopback port this run's engine serves its metrics on (None: it serves none).
    metrics_port: int | None = None


class TimelineEvent(BaseModel):
    ts: datetime = Field(default_factory=utcnow)
    run_id: str
    kind: EventKind
    message: str
    wave_number: int | None = None
    finding_id: str | None = None
    attempt: int | None = None
    session_id: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)
