"""Link-code guessing limits that forget-me cannot reset

Failed link-code redemptions move from `link_attempts` (keyed by learner, deleted with the learner)
to `link_guesses` (keyed by a hash of the platform identity only, pruned after an hour), and each
link code counts the wrong guesses made while it was live. Discord display names stored so far may be
one server's nickname: they are cleared, and refilled with the global name on the next contact.

Revision ID: 0005_hardening_guard
Revises: 0004_slack_oauth
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_hardening_guard"
down_revision = "0004_slack_oauth"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "link_guesses",
        sa.Column("id", Id, nullable=False),
        sa.Column("identity_hash", sa.String(length=64), nullable=False),
        sa.Column("guessed_at", When, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_link_guesses_identity_at", "link_guesses", ["identity_hash", "guessed_at"])
    op.create_index("ix_link_guesses_guessed_at", "link_guesses", ["guessed_at"])
    with op.batch_alter_table("link_codes") as batch:
        batch.add_column(sa.Column("wrong_guesses", sa.Integer(), nullable=False, server_default="0"))
    op.drop_index("ix_link_attempts_learner_at", table_name="link_attempts")
    op.drop_table("link_attempts")
    op.execute("UPDATE learners SET display_name = '' WHERE platform = 'discord'")


def downgrade() -> None:
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
    with op.batch_alter_table("link_codes") as batch:
        batch.drop_column("wrong_guesses")
    op.drop_table("link_guesses")
