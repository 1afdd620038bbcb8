"""written-answer feedback: the suggested grade kept with the draft answer and with the review

Revision ID: 0007_feedback
Revises: 0006_practice_flow
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_feedback"
down_revision = "0006_practice_flow"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cards") as batch:
        batch.add_column(sa.Column("draft_suggested_grade", sa.SmallInteger(), nullable=True))
        batch.add_column(sa.Column("draft_covered", sa.SmallInteger(), nullable=True))
    with op.batch_alter_table("reviews") as batch:
        batch.add_column(sa.Column("suggested_grade", sa.SmallInteger(), nullable=True))
        batch.add_column(sa.Column("covered_points", sa.SmallInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reviews") as batch:
        batch.drop_column("covered_points")
        batch.drop_column("suggested_grade")
    with op.batch_alter_table("cards") as batch:
        batch.drop_column("draft_covered")
        batch.drop_column("draft_suggested_grade")
