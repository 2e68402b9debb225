"""The SQL schema (SQLAlchemy Core). Migrations under ``migrations/`` must produce exactly this.

One row per trial: parameters, distributions, values, attributes and intermediate values are
strict-JSON text columns, so writing a trial is one UPDATE and reading what changed is one
SELECT. ``seq`` is a per-study change counter: every write to a trial stamps it with the next
value of ``studies.seq``, so readers fetch only rows with ``seq`` above what they last saw.
``heartbeat`` is not part of a trial's record: writing it does not bump ``seq``.
"""

from __future__ import annotations

import sqlalchemy as sa

SCHEMA_VERSION = "0002"
"""The Alembic revision this code reads and writes (the head of ``migrations/versions``)."""

metadata = sa.MetaData()

studies = sa.Table(
    "studies",
    metadata,
    sa.Column("study_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("study_name", sa.String(512), nullable=False, unique=True),
    sa.Column("directions", sa.Text, nullable=False),
    sa.Column("user_attrs", sa.Text, nullable=False),
    sa.Column("system_attrs", sa.Text, nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("n_trials", sa.Integer, nullable=False),
    sa.Column("datetime_created", sa.DateTime, nullable=False),
    sqlite_autoincrement=True,  # ids of deleted studies are never reused
)

trials = sa.Table(
    "trials",
    metadata,
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
    # Last heartbeat of a RUNNING trial: seconds since the epoch on the database's clock.
    sa.Column("heartbeat", sa.Double, nullable=True),
    sa.UniqueConstraint("study_id", "number", name="uq_trials_study_number"),
    sa.Index("ix_trials_study_seq", "study_id", "seq"),
    sa.Index("ix_trials_study_state", "study_id", "state"),
    sqlite_autoincrement=True,
)

claims = sa.Table(
    "claims",
    metadata,
    sa.Column(
        "study_id",
        sa.Integer,
        sa.ForeignKey("studies.study_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("key", sa.String(512), primary_key=True),
    sa.Column("datetime_created", sa.DateTime, nullable=False),
)
