"""study plans: a learner's goal, pace and fitted FSRS parameters; refit claims

Revision ID: 0009_study_plan
Revises: 0008_mock
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_study_plan"
down_revision = "0008_mock"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "study_plans",
        sa.Column("learner_id", Id, sa.ForeignKey("learners.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("goal_date", sa.Date(), nullable=True),
        sa.Column("goal_set_on", sa.Date(), nullable=True),
        sa.Column("goal_categories", sa.JSON(), nullable=False),
        sa.Column("goal_level", sa.String(length=16), nullable=True),
        sa.Column("new_per_day", sa.SmallInteger(), nullable=True),
        sa.Column("max_reviews_per_day", sa.SmallInteger(), nullable=True),
        sa.Column("fsrs_parameters", sa.JSON(), nullable=True),
        sa.Column("fsrs_version", sa.Integer(), nullable=False),
        sa.Column("fitted_reviews", sa.Integer(), nullable=False),
        sa.Column("fitted_at", When, nullable=True),
        sa.Column("updated_at", When, nullable=False),
    )
    op.create_table(
        "fit_claims",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("learner_id", Id, sa.ForeignKey("learners.id", ondelete="CASCADE"), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("worker", sa.String(length=64), nullable=True),
        sa.Column("lease_until", When, nullable=True),
        sa.Column("claimed_at", When, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.UniqueConstraint("learner_id", "local_date", name="uq_fit_claim_learner_day"),
    )


def downgrade() -> None:
    op.drop_table("fit_claims")
    op.drop_table("study_plans")
