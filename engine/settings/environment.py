"""Settings from the environment and `.env`; every CLI flag overrides its setting.

The run settings (wave size, parallelism, timeouts, speed, seed...) are declared once, in
engine/settings/run_settings.py; `Settings` inherits them and adds everything a run does not keep."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from engine.core.models import FindingCategory, StallMinutes
from engine.settings.file_source import customise_sources
from engine.settings.run_settings import RUN_SETTINGS, RunSettings

REAL_API_BASE_URL = "https://api.devin.ai/v1"


class Settings(BaseSettings, RunSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    devin_api_key: SecretStr | None = None
    devin_api_base_url: str = REAL_API_BASE_URL
    runs_dir: Path = Path("./runs")
    # Limits on one findings file (uploads and the ingest, plan and run commands).
    max_upload_bytes: int = Field(10 * 1024 * 1024, ge=1, title="Largest findings file (bytes)")
    max_rows_per_run: int = Field(5000, ge=1, title="Most findings in one file")
    parse_time_limit_seconds: float = Field(10, gt=0, title="Time to read one file (s)")
    # Access control (engine/access/roles.py): who has which role, and whether the app demands sign-in.
    roles_file: Path = Path("./roles.toml")
    require_auth: bool = False
    # With sign-in off the app serves only on loopback; this lets it serve every client that
    # can reach a network address as the local admin (for a network the operator trusts).
    allow_unauthenticated_remote: bool = False
    # An OIDC identity needs `email_verified: true`; this admits providers that send no such
    # claim at all (an explicit false is refused regardless).
    allow_missing_email_verified: bool = False
    # Cross-run policy (engine/policy/): services with their importance and limits (the only
    # place service importance is set), and the SLA, budgets, retry cooldowns and objectives.
    # Both are TOML files admins edit in the app.
    services_file: Path = Path("./services.toml")
    policy_file: Path = Path("./policy.toml")
    # Pull request states for the findings ledger come from a GitHub-compatible API.
    git_api_base_url: str = "https://api.github.com"
    github_token: SecretStr | None = None
    # Alerts (engine/alerts/): Slack's incoming-webhook URL (its path is itself a secret) and a
    # generic webhook that receives each alert as JSON, signed with HMAC-SHA256 when the secret
    # is set. Neither secret is ever logged or written to a run file.
    slack_webhook_url: SecretStr | None = None
    alert_webhook_url: str | None = None
    alert_webhook_secret: SecretStr | None = None
    # Retries per alert delivery (on 429, 5xx and failed connections) and each request's timeout.
    alert_retries: int = Field(3, ge=0)
    alert_timeout_seconds: float = Field(5, gt=0)
    # What one ACU costs (dollars), for the cost of every session, fix, category and service,
    # and the agent minutes one ACU buys, to estimate the ACUs of a session the API reports
    # no usage for (v1 does not; see engine.analytics.cost).
    price_per_acu: float = Field(
        2.25, ge=0, le=100, title="Price per ACU ($)"
    )  # the ROI page offers the same range
    minutes_per_acu: float = Field(15.0, ge=1, le=600, title="Agent minutes per ACU")
    # Prometheus metrics of each engine on 127.0.0.1 at this port (0: a free port, recorded in
    # the run's state.json as metrics_port); unset: the engine serves none. See engine.metrics.
    engine_metrics_port: int | None = Field(None, ge=0, le=65535)
    # Supervision (engine.execute.supervision): STALL_MINUTES per category, as JSON in the
    # environment (`{"dependency_vulnerability": 10}`) or a table in the settings file.
    stall_minutes_by_category: dict[FindingCategory, StallMinutes] = Field(default_factory=dict)
    # Hybrid runs: a live run sends the findings of these repositories to the Devin API and the
    # rest to the built-in simulator, labelling each session with its data source. Comma
    # separated in the environment (`acme/payments,github.com/acme/web`), a list in the file.
    connected_repos: Annotated[list[str], NoDecode] = Field(
        default_factory=list, title="Connected repositories"
    )
    # Simulated pull requests link to this loopback address, where the app (or
    # `python -m engine pull-pages`) serves the pages saved in the run folders. A launch
    # freezes it into the run's config (like the API address), so a resumed run links alike.
    sim_pull_pages_url: str = "http://127.0.0.1:8766"
    # The app-editable settings file (engine/settings/file_source.py), read below env and `.env`.
    settings_file: Path = Path("./patchwave.toml")
    # Runs on a worker fleet (engine/fleet/): with a Redis URL (redis://host:6379/0) launches
    # and resumes are queued for `python -m engine worker` processes instead of started on this
    # machine (engine/launch/). A URL may hold a password, so it is kept secret. Where the
    # engine runs is no run setting: a run's config does not keep it.
    run_queue_url: SecretStr | None = None
    # The queue launches and resumes go to (a worker serves it unless told other ones).
    run_queue_name: str = Field("runs", pattern=r"^[A-Za-z0-9._-]{1,64}$")

    @classmethod
    def settings_customise_sources(
        cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
    ):  # type: ignore[override]
        """Precedence: init kwargs (CLI flags) > env > `.env` > settings file > defaults."""
        return customise_sources(
            settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
        )

    @field_validator("connected_repos", mode="before")
    @classmethod
    def _split_repos(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, list | tuple):
            return [str(v).strip() for v in value if str(v).strip()]
        return value

    def run_settings(self) -> RunSettings:
        """The run settings in effect, as a launch freezes them into the run's config."""
        return RunSettings.model_validate({name: getattr(self, name) for name in RUN_SETTINGS})

    @property
    def queue_url(self) -> str | None:
        """The worker fleet's Redis URL, or None: runs start as local processes."""
        if self.run_queue_url is None:
            return None
        value = self.run_queue_url.get_secret_value().strip()
        return value or None

    @property
    def api_key(self) -> str | None:
        if self.devin_api_key is None:
            return None
        value = self.devin_api_key.get_secret_value().strip()
        return value or None


def describe_invalid_settings(exc: ValidationError) -> str:
    """Each invalid setting with its problem, e.g. "wave_size: Input should be greater than 0"."""
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())


def load_settings(**overrides: object) -> Settings:
    """Settings with CLI overrides applied; `None` overrides mean "flag not given"."""
    given = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**given)  # type: ignore[arg-type]
