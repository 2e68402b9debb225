"""Heartbeats: trials.heartbeat, the last sign of life of a RUNNING trial's worker.

Seconds since the epoch on the database's clock (NULL for trials that predate it).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("trials", sa.Column("heartbeat", sa.Double, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("trials") as batch:
        batch.drop_column("heartbeat")
