"""practice flow: skip (bury for today), undo the last grade, a timezone the learner chose

Revision ID: 0006_practice_flow
Revises: 0004_slack_oauth
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_practice_flow"
down_revision = "0004_slack_oauth"
branch_labels = None
depends_on = None

# The card as it was before a grade, kept on the review so the grade can be undone exactly.
BEFORE = (
    ("before_state", sa.SmallInteger()),
    ("before_step", sa.SmallInteger()),
    ("before_stability", sa.Float()),
    ("before_difficulty", sa.Float()),
    ("before_due", sa.Date()),
    ("before_last_review", sa.Date()),
)


def upgrade() -> None:
    op.add_column("cards", sa.Column("buried_on", sa.Date(), nullable=True))
    for name, type_ in BEFORE:
        op.add_column("reviews", sa.Column(name, type_, nullable=True))
    with op.batch_alter_table("learners") as batch:
        batch.add_column(sa.Column("timezone_chosen", sa.Boolean(), nullable=False, server_default=sa.false()))
    # A zone stored before this revision is kept as if chosen: no default may overwrite it.
    op.execute(sa.text("UPDATE learners SET timezone_chosen = :yes WHERE timezone IS NOT NULL").bindparams(yes=True))


def downgrade() -> None:
    with op.batch_alter_table("learners") as batch:
        batch.drop_column("timezone_chosen")
    with op.batch_alter_table("reviews") as batch:
        for name, _ in BEFORE:
            batch.drop_column(name)
    with op.batch_alter_table("cards") as batch:
        batch.drop_column("buried_on")
