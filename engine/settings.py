"""Settings from the environment and `.env`; every CLI flag overrides its setting."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

REAL_API_BASE_URL = "https://api.devin.ai/v1"

DEFAULT_SERVICE_WEIGHTS: dict[str, int] = {
    "payment-service": 20,
    "user-service": 15,
    "catalog-service": 10,
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    devin_api_key: SecretStr | None = None
    devin_api_base_url: str = REAL_API_BASE_URL
    max_parallel_sessions: int = Field(10, ge=1, le=1000)
    max_acu_per_session: int = Field(5, ge=1)
    poll_interval_seconds: float = Field(20, gt=0)
    session_timeout_minutes: float = Field(90, gt=0)
    min_success_rate: float = Field(0.7, ge=0, le=1)
    wave_size: int = Field(10, ge=1)
    max_retries: int = Field(2, ge=0, le=10)
    runs_dir: Path = Path("./runs")
    # Limits on one findings file (uploads and the ingest, plan and run commands).
    max_upload_bytes: int = Field(10 * 1024 * 1024, ge=1)
    max_rows_per_run: int = Field(5000, ge=1)
    parse_time_limit_seconds: float = Field(10, gt=0)
    # Access control (engine/access.py): who has which role, and whether the app demands sign-in.
    roles_file: Path = Path("./roles.toml")
    require_auth: bool = False
    # With sign-in off the app serves only on loopback; this lets it serve every client that
    # can reach a network address as the local admin (for a network the operator trusts).
    allow_unauthenticated_remote: bool = False
    # An OIDC identity needs `email_verified: true`; this admits providers that send no such
    # claim at all (an explicit false is refused regardless).
    allow_missing_email_verified: bool = False
    # Cross-run policy (engine/policy/): services with their importance and limits, and the
    # SLA, budgets, retry cooldowns and objectives. Both are TOML files admins edit in the app.
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
    # Service name -> priority weight; env SERVICE_WEIGHTS='{"payment-service": 20}'.
    service_weights: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_SERVICE_WEIGHTS))
    default_service_weight: int = 10
    # The simulated API's knobs, used when no key is set.
    sim_failure_rate: float = Field(0.15, ge=0, le=1)
    sim_fault_rate: float = Field(0.0, ge=0, le=1)
    # The circuit breaker on the agent API: transient failures in a row before dispatch
    # pauses, and seconds (before speed scaling) before the first probe.
    breaker_failure_threshold: int = Field(5, ge=1)
    breaker_cooldown_seconds: float = Field(30, gt=0)
    # The app-editable settings file (engine/settings_file.py), read below env and `.env`.
    settings_file: Path = Path("./patchwave.toml")
    # Runs on a worker fleet (engine/fleet/): with a Redis URL (redis://host:6379/0) launches
    # are queued for `python -m engine worker` processes instead of started on this machine.
    # A URL may hold a password, so it is kept secret. The queue launches and resumes go to.
    run_queue_url: SecretStr | None = None
    run_queue_name: str = Field("runs", pattern=r"^[A-Za-z0-9._-]{1,64}$")

    @classmethod
    def settings_customise_sources(
        cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
    ):  # type: ignore[override]
        """Precedence: init kwargs (CLI flags) > env > `.env` > settings file > defaults."""
        from engine.settings_file import customise_sources

        return customise_sources(
            settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
        )

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
