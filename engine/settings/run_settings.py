"""The run settings, declared once: each one's type, range, default and help text.

Everything else is derived from this class:

- `Settings` (engine/settings/environment.py) inherits it, so each run setting is read from the
  environment (`WAVE_SIZE`, ...), `.env` or the settings file like any other setting;
- a run's frozen configuration, `RunConfig` (engine/core/models.py), inherits it, so `resume`
  continues with exactly the values the run was launched with, range-checked the same way;
- the `run` command's options (engine/cli/main.py), the app's Launch form and its Settings page
  are generated from it (`flag`, `bounds`), and tests/test_run_settings.py checks that each
  of them shows every run setting with the same range and default.

Adding a run setting is one field here plus its use (see the README's recipe)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import annotated_types
from pydantic import BaseModel, ConfigDict, Field

MAX_SEED = 2**31 - 1


def _setting(default: Any, title: str, help: str, flag: str, **rules: Any) -> Any:
    """A run setting: `title` labels it in the app, `help` explains it everywhere, `flag` is
    its command-line option and `rules` its range (ge, gt, le, lt); `app_default` (in `rules`)
    is the value the app's Launch form starts from when the setting is not configured."""
    extra: dict[str, Any] = {"flag": flag}
    if "app_default" in rules:
        extra["app_default"] = rules.pop("app_default")
    return Field(default, title=title, description=help, json_schema_extra=extra, **rules)


class RunSettings(BaseModel):
    """How a run dispatches; fixed for the run when it is launched."""

    model_config = ConfigDict(allow_inf_nan=False)

    wave_size: int = _setting(10, "Wave size", "Findings per wave.", "--wave-size", ge=1)
    max_parallel_sessions: int = _setting(
        10, "Max parallel sessions", "Agent sessions in flight at once.", "--max-parallel", ge=1, le=1000
    )
    max_acu_per_session: int = _setting(5, "Max ACU per session", "ACU limit per session.", "--max-acu", ge=1)
    poll_interval_seconds: float = _setting(
        20, "Poll interval (s)", "Seconds between polls (before speed scaling).", "--poll-interval", gt=0
    )
    session_timeout_minutes: float = _setting(
        90,
        "Session timeout (min)",
        "Session time limit in minutes (before speed scaling).",
        "--timeout-minutes",
        gt=0,
    )
    min_success_rate: float = _setting(
        0.7,
        "Min success rate",
        "Wave gate, 0-1: the share of a wave's findings that must be fixed before the next wave starts.",
        "--min-success-rate",
        ge=0,
        le=1,
    )
    max_retries: int = _setting(2, "Max retries", "Retries per finding.", "--max-retries", ge=0, le=10)
    speed: float = _setting(
        1.0,
        "Speed",
        "Scale the clock: simulator, polling and timeouts.",
        "--speed",
        ge=0.01,
        le=10000,
        app_default=50.0,  # the app's simulated launches start at demo speed
    )
    seed: int = _setting(
        0, "Simulator seed", "Simulator seed: the same seed plays the same run.", "--seed", ge=0, le=MAX_SEED
    )
    sim_failure_rate: float = _setting(
        0.15,
        "Simulated failure rate",
        "Simulated mode: share of sessions that fail.",
        "--failure-rate",
        ge=0,
        le=1,
    )
    sim_stall_rate: float = _setting(
        0.1,
        "Simulated stall rate",
        "Simulated mode: share of sessions that stall before their tests (blocked on a question, "
        "or silent) until they are nudged.",
        "--stall-rate",
        ge=0,
        le=1,
    )
    sim_fault_rate: float = _setting(
        0.0,
        "Simulated fault rate",
        "Simulated mode: share of API requests answered with 429/500/503.",
        "--fault-rate",
        ge=0,
        le=1,
    )
    sim_rate_limit: float = _setting(
        0.0,
        "Simulated rate limit (req/s)",
        "Simulated mode: API requests a second (before speed scaling) the simulator answers; "
        "a burst above it gets 429 with Retry-After, as a real gateway does. 0: no limit.",
        "--sim-rate-limit",
        ge=0,
        le=10000,
    )
    sim_rate_burst: int = _setting(
        10,
        "Simulated rate burst",
        "Simulated mode: requests the simulator's rate limit lets through at once before it answers 429.",
        "--sim-rate-burst",
        ge=1,
        le=10000,
    )
    max_prs_awaiting_review: int = _setting(
        0,
        "Max PRs awaiting review",
        "Adaptive dispatch: while this many of the run's pull requests wait for a review decision, "
        "new sessions go out one at a time, so reviewers are not buried. 0: no threshold.",
        "--max-prs-awaiting-review",
        ge=0,
    )
    max_prs_awaiting_review_per_service: int = _setting(
        0,
        "Max PRs awaiting review per service",
        "Adaptive dispatch: a service with this many pull requests waiting for review has its "
        "findings dispatched after every other service's. 0: no threshold.",
        "--max-prs-awaiting-review-per-service",
        ge=0,
    )
    breaker_failure_threshold: int = _setting(
        5,
        "Breaker threshold",
        "Transient API failures in a row before dispatch pauses.",
        "--breaker-threshold",
        ge=1,
    )
    breaker_cooldown_seconds: float = _setting(
        30,
        "Breaker cool-down (s)",
        "Seconds (before speed scaling) the paused API is left alone before the first probe.",
        "--breaker-cooldown",
        gt=0,
    )
    stall_minutes: float = _setting(
        15,
        "Stall minutes",
        "Agent minutes (before speed scaling) without a new message or status change after which a "
        "session counts as stalled (a blocked one counts at once): it is nudged once, and "
        "terminated when it stalls again. STALL_MINUTES_BY_CATEGORY overrides it per category; "
        "0 turns supervision off.",
        "--stall-minutes",
        ge=0,
    )
    api_unavailable_horizon_minutes: float = _setting(
        30,
        "API unavailable horizon (min)",
        "Minutes (before speed scaling) the agent API may stay unavailable before a live run "
        "pauses with status reason api_unavailable (resume continues it).",
        "--api-horizon-minutes",
        gt=0,
    )


RUN_SETTINGS: tuple[str, ...] = tuple(RunSettings.model_fields)


@dataclass(frozen=True)
class Bounds:
    """A setting's range: `low`/`high` None when unbounded; `*_open` when the bound itself is
    refused (gt / lt)."""

    is_int: bool
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False


def bounds(name: str, model: type[BaseModel] = RunSettings) -> Bounds:
    """The range of `model`'s numeric field `name`, from its declaration."""
    field = model.model_fields[name]
    found: dict[str, Any] = {"is_int": field.annotation is int}
    for rule in field.metadata:
        if isinstance(rule, annotated_types.Ge):
            found.update(low=rule.ge, low_open=False)
        elif isinstance(rule, annotated_types.Gt):
            found.update(low=rule.gt, low_open=True)
        elif isinstance(rule, annotated_types.Le):
            found.update(high=rule.le, high_open=False)
        elif isinstance(rule, annotated_types.Lt):
            found.update(high=rule.lt, high_open=True)
    return Bounds(**found)


def _extra(name: str) -> dict[str, Any]:
    extra = RunSettings.model_fields[name].json_schema_extra
    return extra if isinstance(extra, dict) else {}


def flag(name: str) -> str:
    """The run setting's command-line option, e.g. "--wave-size"."""
    return str(_extra(name)["flag"])


def title(name: str, model: type[BaseModel] = RunSettings) -> str:
    """The setting's label in the app: its declared title, else its name in words."""
    field = model.model_fields[name]
    return field.title or name.replace("_", " ").capitalize()


def help_text(name: str) -> str:
    return RunSettings.model_fields[name].description or ""


def default(name: str) -> Any:
    return RunSettings.model_fields[name].default


def app_default(name: str) -> Any | None:
    """The value the app's Launch form starts from instead of the setting's own, if any."""
    return _extra(name).get("app_default")
