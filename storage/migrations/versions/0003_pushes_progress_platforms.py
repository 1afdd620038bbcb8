"""daily pushes, linking and leaderboards, platform event dedupe

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("learners") as batch:
        batch.add_column(sa.Column("merged_into", Id, nullable=True))
        batch.add_column(sa.Column("leaderboard_opt_out", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("notice", sa.Text(), nullable=True))
        batch.create_foreign_key("fk_learners_merged_into", "learners", ["merged_into"], ["id"], ondelete="CASCADE")
    with op.batch_alter_table("learners") as batch:
        batch.alter_column("leaderboard_opt_out", server_default=None)
    with op.batch_alter_table("reviews") as batch:
        batch.add_column(sa.Column("tenant", sa.String(length=100), nullable=True))
        batch.create_index("ix_reviews_tenant_date", ["tenant", "review_date"])

    op.create_table(
        "push_targets",
        sa.Column("id", Id, nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("tenant", sa.String(length=100), nullable=True),
        sa.Column("learner_id", Id, nullable=True),
        sa.Column("recipient", sa.String(length=64), nullable=True),
        sa.Column("channel_id", sa.String(length=64), nullable=True),
        sa.Column("local_time", sa.String(length=5), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("paused_until", sa.Date(), nullable=True),
        sa.Column("paused_reason", sa.Text(), nullable=True),
        sa.Column("next_push_at", When, nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_push_targets_next", "push_targets", ["next_push_at"])
    op.create_table(
        "deliveries",
        sa.Column("id", Id, nullable=False),
        sa.Column("target_id", Id, nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("worker", sa.String(length=64), nullable=True),
        sa.Column("lease_until", When, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", When, nullable=True),
        sa.Column("question_id", sa.String(length=100), nullable=True),
        sa.Column("message_id", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("claimed_at", When, nullable=False),
        sa.Column("sent_at", When, nullable=True),
        sa.ForeignKeyConstraint(["target_id"], ["push_targets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("target_id", "local_date", name="uq_delivery_target_day"),
    )
    op.create_table(
        "link_codes",
        sa.Column("id", Id, nullable=False),
        sa.Column("learner_id", Id, nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", When, nullable=False),
        sa.Column("used_at", When, nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_link_codes_learner_id", "link_codes", ["learner_id"])
    op.create_index("ix_link_codes_code_hash", "link_codes", ["code_hash"])
    op.create_table(
        "link_attempts",
        sa.Column("id", Id, nullable=False),
        sa.Column("learner_id", Id, nullable=False),
        sa.Column("attempted_at", When, nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_link_attempts_learner_at", "link_attempts", ["learner_id", "attempted_at"])
    op.create_table(
        "inbound_events",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("seen_at", When, nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_inbound_events_seen_at", "inbound_events", ["seen_at"])


def downgrade() -> None:
    op.drop_table("inbound_events")
    op.drop_table("link_attempts")
    op.drop_table("link_codes")
    op.drop_table("deliveries")
    op.drop_table("push_targets")
    with op.batch_alter_table("reviews") as batch:
        batch.drop_index("ix_reviews_tenant_date")
        batch.drop_column("tenant")
    with op.batch_alter_table("learners") as batch:
        batch.drop_constraint("fk_learners_merged_into", type_="foreignkey")
        batch.drop_column("notice")
        batch.drop_column("leaderboard_opt_out")
        batch.drop_column("merged_into")
