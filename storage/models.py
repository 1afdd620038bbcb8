"""Typed ORM models. All timestamps are UTC; scheduling dates are the learner's local calendar dates."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
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
    preferences: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


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


class Review(Base):
    """Append-only history: one row per recorded self-grade."""

    __tablename__ = "reviews"
    __table_args__ = (Index("ix_reviews_learner_date", "learner_id", "review_date"),)

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
    idempotency_key: Mapped[str] = mapped_column(String(160), unique=True)


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
