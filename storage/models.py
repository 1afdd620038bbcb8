"""Typed ORM models. All timestamps are UTC; scheduling dates are the learner's local calendar dates."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# BIGINT on PostgreSQL, INTEGER (the rowid alias, so it autoincrements) on SQLite.
Id = BigInteger().with_variant(Integer, "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store UTC-aware datetimes only")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    pass


class Learner(Base):
    __tablename__ = "learners"
    __table_args__ = (UniqueConstraint("platform", "workspace", "platform_user_id", name="uq_learner_identity"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))  # console | discord | slack
    platform_user_id: Mapped[str] = mapped_column(String(64))
    workspace: Mapped[str] = mapped_column(String(64), default="")  # Slack team; "" where ids are global
    display_name: Mapped[str] = mapped_column(String(100), default="")
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)  # None: the default zone
    # The learner named `timezone` themselves; a surface's guess (machine zone, profile) never replaces it.
    timezone_chosen: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    preferences: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set when this identity was linked into another learner: lookups resolve to that learner.
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), nullable=True)
    leaderboard_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    notice: Mapped[str | None] = mapped_column(Text, nullable=True)  # told once, the next time they use the bot


class Card(Base):
    """One learner's schedule for one question (FSRS state, day-granular)."""

    __tablename__ = "cards"
    __table_args__ = (
        UniqueConstraint("learner_id", "question_id", name="uq_card_learner_question"),
        Index("ix_cards_learner_due", "learner_id", "due"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    # No foreign key: questions live in YAML (or a tenant's import); removed ones keep their history.
    question_id: Mapped[str] = mapped_column(String(100))
    state: Mapped[int] = mapped_column(SmallInteger)
    step: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    stability: Mapped[float | None] = mapped_column(Float, nullable=True)
    difficulty: Mapped[float | None] = mapped_column(Float, nullable=True)
    due: Mapped[date] = mapped_column(Date)
    last_review: Mapped[date | None] = mapped_column(Date, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=0)  # bumped by every grade; buttons carry it
    reps: Mapped[int] = mapped_column(Integer, default=0)
    lapses: Mapped[int] = mapped_column(Integer, default=0)
    introduced_on: Mapped[date] = mapped_column(Date)
    last_shown_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    draft_answer: Mapped[str | None] = mapped_column(Text, nullable=True)  # written before the grade
    buried_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # skipped: set aside for this study day
    # What the written-answer feedback made of the draft: its suggested grade (1-4), key points covered.
    draft_suggested_grade: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    draft_covered: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)


class Review(Base):
    """Append-only history: one row per recorded self-grade."""

    __tablename__ = "reviews"
    __table_args__ = (
        Index("ix_reviews_learner_date", "learner_id", "review_date"),
        Index("ix_reviews_tenant_date", "tenant", "review_date"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id", ondelete="CASCADE"), index=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(100))
    rating: Mapped[int] = mapped_column(SmallInteger)  # 1 Again, 2 Hard, 3 Good, 4 Easy
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    review_date: Mapped[date] = mapped_column(Date)  # the learner's local day
    card_version: Mapped[int] = mapped_column(Integer)  # the version the grade was computed from
    scheduled_days: Mapped[int] = mapped_column(Integer)
    stability: Mapped[float] = mapped_column(Float)
    difficulty: Mapped[float] = mapped_column(Float)
    answer_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    suggested_grade: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)  # from the written answer
    covered_points: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    idempotency_key: Mapped[str] = mapped_column(String(160), unique=True)
    tenant: Mapped[str | None] = mapped_column(String(100), nullable=True)  # the server/workspace it happened in
    # The card's schedule before this grade, so undoing it restores the card exactly (None: older rows).
    before_state: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    before_step: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    before_stability: Mapped[float | None] = mapped_column(Float, nullable=True)
    before_difficulty: Mapped[float | None] = mapped_column(Float, nullable=True)
    before_due: Mapped[date | None] = mapped_column(Date, nullable=True)
    before_last_review: Mapped[date | None] = mapped_column(Date, nullable=True)


class StudyPlan(Base):
    """A learner's goal, pace and fitted FSRS parameters; no row: the defaults."""

    __tablename__ = "study_plans"

    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), primary_key=True)
    goal_date: Mapped[date | None] = mapped_column(Date, nullable=True)  # a local study day
    goal_set_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # the study day the goal was set
    goal_categories: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: all
    goal_level: Mapped[str | None] = mapped_column(String(16), nullable=True)  # up to this level; None: all
    new_per_day: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)  # None: Settings' default
    max_reviews_per_day: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    fsrs_parameters: Mapped[list[float] | None] = mapped_column(JSON, nullable=True)  # None: FSRS defaults
    fsrs_version: Mapped[int] = mapped_column(Integer, default=0)  # bumped by every fit
    fitted_reviews: Mapped[int] = mapped_column(Integer, default=0)  # reviews the current fit saw
    fitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FitClaim(Base):
    """The claim on one learner's refit for one (UTC) day, held with a lease like a push delivery."""

    __tablename__ = "fit_claims"
    __table_args__ = (UniqueConstraint("learner_id", "local_date", name="uq_fit_claim_learner_day"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    local_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # claimed | done | failed
    worker: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class CustomQuestion(Base):
    """A question a server or workspace imported; visible only to that tenant."""

    __tablename__ = "custom_questions"
    __table_args__ = (UniqueConstraint("tenant", "slug", name="uq_custom_tenant_slug"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(100))  # e.g. discord:<guild id>, slack:<team id>
    slug: Mapped[str] = mapped_column(String(60))  # the id the admin wrote
    document: Mapped[dict[str, Any]] = mapped_column(JSON)  # the validated record
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PushTarget(Base):
    """Where a daily question goes: a learner's DM or a channel's question of the day."""

    __tablename__ = "push_targets"
    __table_args__ = (Index("ix_push_targets_next", "next_push_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)  # dm:<learner id> | channel:<platform>:<channel id>
    kind: Mapped[str] = mapped_column(String(16))  # dm | channel
    platform: Mapped[str] = mapped_column(String(16))  # discord | slack
    tenant: Mapped[str | None] = mapped_column(String(100), nullable=True)  # discord:<guild> | slack:<team>
    learner_id: Mapped[int | None] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), nullable=True)
    recipient: Mapped[str | None] = mapped_column(String(64), nullable=True)  # platform user id for a DM
    channel_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the channel, or the cached DM channel
    local_time: Mapped[str] = mapped_column(String(5))  # HH:MM in `timezone`
    timezone: Mapped[str] = mapped_column(String(64))
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: all
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    paused_until: Mapped[date | None] = mapped_column(Date, nullable=True)  # snooze: no pushes before this local day
    paused_reason: Mapped[str | None] = mapped_column(Text, nullable=True)  # a permanent failure stopped it
    next_push_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)  # None: nothing planned
    created_by: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Delivery(Base):
    """The claim on one target's push for one local day: at most one message per (target, day)."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("target_id", "local_date", name="uq_delivery_target_day"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("push_targets.id", ondelete="CASCADE"))
    local_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # claimed | sending | sent | failed | skipped
    worker: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    question_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    message_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class LinkCode(Base):
    """A one-time code that links another platform identity to this learner."""

    __tablename__ = "link_codes"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Wrong codes entered anywhere while this one was live: each could have been a guess at it.
    wrong_guesses: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class LinkGuess(Base):
    """A wrong link code entered by one platform identity, to rate-limit guessing. Keyed by a hash of
    the identity, not by learner, so forget-me (which deletes the learner) does not reset the count;
    holds nothing else and is pruned after an hour."""

    __tablename__ = "link_guesses"
    __table_args__ = (
        Index("ix_link_guesses_identity_at", "identity_hash", "guessed_at"),
        Index("ix_link_guesses_guessed_at", "guessed_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    identity_hash: Mapped[str] = mapped_column(String(64))
    guessed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InboundEvent(Base):
    """Platform events already handled (e.g. Slack event_id), so a redelivery is done once."""

    __tablename__ = "inbound_events"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


# Slack multi-workspace installs. slack-sdk's AsyncSQLAlchemyInstallationStore and
# AsyncSQLAlchemyOAuthStateStore read and write these through their own Table objects; the
# definitions are copied here, column for column from slack-sdk 3.47, so that our migrations create
# them and compare_metadata checks them (tests/integration/test_slack_oauth_tables.py keeps the copies
# equal to slack-sdk's). Their DateTime columns are naive and hold UTC, as slack-sdk writes them.
slack_installations = Table(
    "slack_installations",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("enterprise_url", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", String(200)),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", String(200)),
    Column("bot_token_expires_at", DateTime),
    Column("user_id", String(32), nullable=False),
    Column("user_token", String(200)),
    Column("user_scopes", String(1000)),
    Column("user_refresh_token", String(200)),
    Column("user_token_expires_at", DateTime),
    Column("incoming_webhook_url", String(200)),
    Column("incoming_webhook_channel", String(200)),
    Column("incoming_webhook_channel_id", String(200)),
    Column("incoming_webhook_configuration_url", String(200)),
    Column("is_enterprise_install", Boolean, nullable=False),
    Column("token_type", String(32)),
    Column("installed_at", DateTime, nullable=False),
    Index("slack_installations_idx", "client_id", "enterprise_id", "team_id", "user_id", "installed_at"),
)

slack_bots = Table(
    "slack_bots",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", String(200)),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", String(200)),
    Column("bot_token_expires_at", DateTime),
    Column("is_enterprise_install", Boolean, nullable=False),
    Column("installed_at", DateTime, nullable=False),
    Index("slack_bots_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
)

slack_oauth_states = Table(
    "slack_oauth_states",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(200), nullable=False),
    Column("expire_at", DateTime, nullable=False),
)


class Mock(Base):
    """A timed mock interview: where it is, when the worker must next act on it, and its report."""

    __tablename__ = "mocks"
    __table_args__ = (
        Index("ix_mocks_learner_status", "learner_id", "status"),
        Index("ix_mocks_wake", "status", "wake_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    tenant: Mapped[str | None] = mapped_column(String(100), nullable=True)
    platform: Mapped[str] = mapped_column(String(16))  # console | discord | slack
    recipient: Mapped[str | None] = mapped_column(String(64), nullable=True)  # platform user id, for nudges
    channel_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # DM channel or private thread
    category: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(16))
    minutes: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | finished | stopped | expired
    current_step: Mapped[int] = mapped_column(SmallInteger, default=0)
    version: Mapped[int] = mapped_column(Integer, default=0)  # bumped by every change; buttons carry the step
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime)
    wake_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # next nudge or idle close
    nudged_step: Mapped[int] = mapped_column(SmallInteger, default=-1)  # the last step whose time-up was sent
    claimed_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class MockStep(Base):
    """One phase, answer or follow-up probe of a mock, with the learner's notes for it."""

    __tablename__ = "mock_steps"
    __table_args__ = (UniqueConstraint("mock_id", "position", name="uq_mock_steps_position"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    mock_id: Mapped[int] = mapped_column(ForeignKey("mocks.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(SmallInteger)
    kind: Mapped[str] = mapped_column(String(16))  # phase | answer | probe | wrap
    name: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    question_id: Mapped[str] = mapped_column(String(100))
    follow_up: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    probe_text: Mapped[str] = mapped_column(Text, default="")
    star_part: Mapped[str] = mapped_column(String(16), default="")
    box_seconds: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")


class MockGrade(Base):
    """A grade the learner confirmed from a mock's report: recorded as a review exactly once."""

    __tablename__ = "mock_grades"
    __table_args__ = (UniqueConstraint("mock_id", "question_id", name="uq_mock_grades_question"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    mock_id: Mapped[int] = mapped_column(ForeignKey("mocks.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(100))
    rating: Mapped[int] = mapped_column(SmallInteger)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
