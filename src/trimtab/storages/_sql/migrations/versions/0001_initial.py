"""Initial schema: studies, trials (one row each, JSON columns), claims.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "studies",
        sa.Column("study_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("study_name", sa.String(512), nullable=False, unique=True),
        sa.Column("directions", sa.Text, nullable=False),
        sa.Column("user_attrs", sa.Text, nullable=False),
        sa.Column("system_attrs", sa.Text, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("n_trials", sa.Integer, nullable=False),
        sa.Column("datetime_created", sa.DateTime, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "trials",
        sa.Column("trial_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "study_id",
            sa.Integer,
            sa.ForeignKey("studies.study_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("values", sa.Text, nullable=True),
        sa.Column("params", sa.Text, nullable=False),
        sa.Column("distributions", sa.Text, nullable=False),
        sa.Column("user_attrs", sa.Text, nullable=False),
        sa.Column("system_attrs", sa.Text, nullable=False),
        sa.Column("intermediate_values", sa.Text, nullable=False),
        sa.Column("fail_reason", sa.Text, nullable=True),
        sa.Column("datetime_start", sa.DateTime, nullable=True),
        sa.Column("datetime_complete", sa.DateTime, nullable=True),
        sa.UniqueConstraint("study_id", "number", name="uq_trials_study_number"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_trials_study_seq", "trials", ["study_id", "seq"])
    op.create_index("ix_trials_study_state", "trials", ["study_id", "state"])
    op.create_table(
        "claims",
        sa.Column(
            "study_id",
            sa.Integer,
            sa.ForeignKey("studies.study_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("key", sa.String(512), primary_key=True),
        sa.Column("datetime_created", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("claims")
    op.drop_index("ix_trials_study_state", table_name="trials")
    op.drop_index("ix_trials_study_seq", table_name="trials")
    op.drop_table("trials")
    op.drop_table("studies")
