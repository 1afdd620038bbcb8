"""One typed Settings, read from the environment and an optional .env file.

Secrets are SecretStr: their repr and str are masked, so logging a Settings never leaks a token.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot import locations


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True,
        hide_input_in_errors=True,  # a rejected DATABASE_URL may hold a password
    )

    # Default: a SQLite file in the user's data folder (bot/locations.py), the same from any directory.
    database_url: str = Field(
        default_factory=lambda: locations.sqlite_url(locations.default_database_path()), alias="DATABASE_URL"
    )
    discord_token: SecretStr | None = Field(default=None, alias="DISCORD_TOKEN")
    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    # Multi-workspace installs (OAuth): set these instead of SLACK_BOT_TOKEN.
    slack_client_id: str | None = Field(default=None, alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(default=None, alias="SLACK_CLIENT_SECRET")
    slack_redirect_uri: str | None = Field(default=None, alias="SLACK_REDIRECT_URI")
    # Slack user ids allowed to run admin commands besides workspace admins and owners ("U1,U2").
    slack_admin_ids: Annotated[tuple[str, ...], NoDecode] = Field(default=(), alias="SLACK_ADMIN_IDS")
    slack_api_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_URL")
    # Where shared files may be downloaded from with the bot token (scheme://host[:port], comma-separated).
    slack_file_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        default=("https://files.slack.com",), alias="SLACK_FILE_ORIGINS"
    )
    # HTTP mode hardening: seconds a client has to send a request's headers, and again its body (also how
    # long an idle connection stays open); open connections at most (default: what the open-file limit
    # allows); install attempts (OAuth states, valid 10 minutes each) outstanding at once.
    slack_http_timeout: float = Field(default=10.0, gt=0, le=300, alias="SLACK_HTTP_TIMEOUT")
    slack_max_connections: int | None = Field(default=None, ge=1, le=1_000_000, alias="SLACK_MAX_CONNECTIONS")
    slack_install_states: int = Field(default=100, ge=1, le=100_000, alias="SLACK_INSTALL_STATES")
    port: int = Field(default=3000, ge=1, le=65535, alias="PORT")  # where the HTTP endpoints listen
    default_timezone: str = Field(default="UTC", alias="DEFAULT_TIMEZONE")
    day_rollover_hour: int = Field(default=4, ge=0, le=23, alias="DAY_ROLLOVER_HOUR")
    desired_retention: float = Field(default=0.9, gt=0.5, lt=1.0, alias="DESIRED_RETENTION")
    daily_new_cap: int = Field(default=5, ge=0, le=100, alias="DAILY_NEW_CAP")
    # Study plan (bot/core/plan): the default pace a learner can change, and per-learner FSRS fitting.
    daily_review_cap: int = Field(default=100, ge=1, le=1000, alias="DAILY_REVIEW_CAP")
    plan_min_new_per_week: int = Field(default=3, ge=0, le=100, alias="PLAN_MIN_NEW_PER_WEEK")  # even under a backlog
    fit_min_reviews: int = Field(default=200, ge=8, le=100_000, alias="FIT_MIN_REVIEWS")  # measured: BENCHMARKS.md
    refit_every: int = Field(default=100, ge=1, le=100_000, alias="REFIT_EVERY")  # new reviews before a refit
    refit_poll_seconds: float = Field(default=300.0, gt=0, le=86_400, alias="REFIT_POLL_SECONDS")
    fsrs_fuzz: bool = Field(default=True, alias="FSRS_FUZZ")
    bank_dir: Path | None = Field(default=None, alias="BANK_DIR")  # default: the shipped bank
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    log_format: str = Field(default="text", alias="LOG_FORMAT")  # text | json (one object a line)
    # /healthz and /metrics for the discord, slack and push processes: off unless a port is set.
    metrics_port: int | None = Field(default=None, ge=1, le=65535, alias="METRICS_PORT")
    metrics_host: str = Field(default="127.0.0.1", alias="METRICS_HOST")
    health_min_free_mb: int = Field(default=64, ge=0, alias="HEALTH_MIN_FREE_MB")  # SQLite: less free disk is unhealthy
    # Daily pushes (`python -m bot push`). Discord allows 50 requests/s per bot: all push workers
    # together stay at DISCORD_PUSH_RATE, each taking an equal share of it.
    push_workers: int = Field(default=1, ge=1, le=64, alias="PUSH_WORKERS")
    discord_push_rate: float = Field(default=47.0, gt=0, le=10_000, alias="DISCORD_PUSH_RATE")  # above 50: stand-ins only
    push_batch: int = Field(default=50, ge=1, le=1000, alias="PUSH_BATCH")
    push_lease_seconds: int = Field(default=60, ge=10, le=600, alias="PUSH_LEASE_SECONDS")
    push_poll_seconds: float = Field(default=30.0, gt=0, le=3600, alias="PUSH_POLL_SECONDS")
    discord_api_url: str | None = Field(default=None, alias="DISCORD_API_URL")  # a stand-in's, for tests only
    # Discord sharding: unset, one process runs as many shards as Discord recommends; set, this
    # process runs DISCORD_SHARD_IDS ("0,1"; default all) of DISCORD_SHARD_COUNT shards.
    discord_shard_count: int | None = Field(default=None, ge=1, le=10_000, alias="DISCORD_SHARD_COUNT")
    discord_shard_ids: Annotated[tuple[int, ...], NoDecode] = Field(default=(), alias="DISCORD_SHARD_IDS")
    # Written-answer feedback: an optional OpenAI-compatible model adds an explanation (off unless both set).
    llm_base_url: str | None = Field(default=None, alias="LLM_BASE_URL")  # e.g. http://127.0.0.1:11434/v1
    llm_model: str | None = Field(default=None, alias="LLM_MODEL")
    llm_api_key: SecretStr | None = Field(default=None, alias="LLM_API_KEY")
    llm_timeout: float = Field(default=20.0, gt=0, le=20, alias="LLM_TIMEOUT")  # seconds; then the offline result alone
    feedback_timeout: float = Field(default=2.0, gt=0, le=10, alias="FEEDBACK_TIMEOUT")  # offline engine, per answer

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA timezone {value!r} (e.g. Europe/Berlin)") from None
        return value

    @field_validator("slack_file_origins")
    @classmethod
    def _origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for origin in value:
            if not re.fullmatch(r"https?://[^/?#\s]+/?", origin):
                raise ValueError(f"{origin!r} is not an origin like https://files.slack.com")
        return value

    @field_validator("database_url")
    @classmethod
    def _usable_url(cls, value: str) -> str:
        from storage.db import url_problem  # the check needs SQLAlchemy, which lives in storage/

        problem = url_problem(value)
        if problem is not None:  # the message never repeats the URL: it may hold a password
            raise PydanticCustomError("database_url", problem)
        return value

    @field_validator("log_level", "log_format")
    @classmethod
    def _one_of(cls, value: str, info: ValidationInfo) -> str:
        from bot.ops.logs import FORMATS, LEVELS

        allowed, value = (LEVELS, value.upper()) if info.field_name == "log_level" else (FORMATS, value.lower())
        if value not in allowed:
            raise PydanticCustomError("one_of", "must be one of {allowed}", {"allowed": ", ".join(allowed)})
        return value

    def secret_values(self) -> list[str]:
        """Every configured secret, for the log redaction filter (the database password included)."""
        from storage.db import url_password

        secrets = [v.get_secret_value() for v in self.__dict__.values() if isinstance(v, SecretStr)]
        password = url_password(self.database_url)
        return [s for s in (*secrets, password) if s]

    @field_validator("slack_admin_ids", "slack_file_origins", "discord_shard_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @model_validator(mode="after")
    def _shards_within_count(self) -> Settings:
        ids = self.discord_shard_ids
        if ids and self.discord_shard_count is None:
            raise ValueError("DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT (the bot's total number of shards)")
        if self.discord_shard_count is not None and any(not 0 <= i < self.discord_shard_count for i in ids):
            raise ValueError(f"DISCORD_SHARD_IDS must be between 0 and {self.discord_shard_count - 1}")
        if len(set(ids)) != len(ids):
            raise ValueError("DISCORD_SHARD_IDS lists a shard twice")
        return self
