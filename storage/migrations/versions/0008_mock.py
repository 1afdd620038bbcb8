"""mock interviews: the round, its steps and notes, and the grades confirmed from its report

Revision ID: 0008_mock
Revises: 0007_feedback
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_mock"
down_revision = "0007_feedback"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "mocks",
        sa.Column("id", Id, nullable=False),
        sa.Column("learner_id", Id, nullable=False),
        sa.Column("tenant", sa.String(length=100), nullable=True),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=64), nullable=True),
        sa.Column("channel_id", sa.String(length=64), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("minutes", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("current_step", sa.SmallInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("started_at", When, nullable=False),
        sa.Column("last_activity_at", When, nullable=False),
        sa.Column("wake_at", When, nullable=True),
        sa.Column("nudged_step", sa.SmallInteger(), nullable=False),
        sa.Column("claimed_by", sa.String(length=120), nullable=True),
        sa.Column("lease_until", When, nullable=True),
        sa.Column("finished_at", When, nullable=True),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_mocks_learner_status", "mocks", ["learner_id", "status"])
    op.create_index("ix_mocks_wake", "mocks", ["status", "wake_at"])
    op.create_table(
        "mock_steps",
        sa.Column("id", Id, nullable=False),
        sa.Column("mock_id", Id, nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("question_id", sa.String(length=100), nullable=False),
        sa.Column("follow_up", sa.SmallInteger(), nullable=True),
        sa.Column("probe_text", sa.Text(), nullable=False),
        sa.Column("star_part", sa.String(length=16), nullable=False),
        sa.Column("box_seconds", sa.Integer(), nullable=False),
        sa.Column("started_at", When, nullable=True),
        sa.Column("ended_at", When, nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["mock_id"], ["mocks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("mock_id", "position", name="uq_mock_steps_position"),
    )
    op.create_table(
        "mock_grades",
        sa.Column("id", Id, nullable=False),
        sa.Column("mock_id", Id, nullable=False),
        sa.Column("question_id", sa.String(length=100), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("recorded_at", When, nullable=False),
        sa.ForeignKeyConstraint(["mock_id"], ["mocks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("mock_id", "question_id", name="uq_mock_grades_question"),
    )


def downgrade() -> None:
    op.drop_table("mock_grades")
    op.drop_table("mock_steps")
    op.drop_index("ix_mocks_wake", table_name="mocks")
    op.drop_index("ix_mocks_learner_status", table_name="mocks")
    op.drop_table("mocks")
