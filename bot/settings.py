"""One typed Settings, read from the environment and an optional .env file.

Secrets are SecretStr: their repr and str are masked, so logging a Settings never leaks a token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True)

    database_url: str = Field(default="sqlite+aiosqlite:///./interview_bot.db", alias="DATABASE_URL")
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
    # Daily pushes (`python -m bot push`). Discord allows 50 requests/s per bot: all push workers
    # together stay at DISCORD_PUSH_RATE, each taking an equal share of it.
    push_workers: int = Field(default=1, ge=1, le=64, alias="PUSH_WORKERS")
    discord_push_rate: float = Field(default=47.0, gt=0, le=10_000, alias="DISCORD_PUSH_RATE")  # above 50: stand-ins only
    push_batch: int = Field(default=50, ge=1, le=1000, alias="PUSH_BATCH")
    push_lease_seconds: int = Field(default=60, ge=10, le=600, alias="PUSH_LEASE_SECONDS")
    push_poll_seconds: float = Field(default=30.0, gt=0, le=3600, alias="PUSH_POLL_SECONDS")
    discord_api_url: str | None = Field(default=None, alias="DISCORD_API_URL")  # a stand-in's, for tests only

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA timezone {value!r} (e.g. Europe/Berlin)") from None
        return value

    @field_validator("slack_admin_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value
