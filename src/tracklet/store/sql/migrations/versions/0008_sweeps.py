"""Sweeps: a sweep's config and state, and the runs it handed out.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    json = sa.JSON().with_variant(JSONB(), "postgresql")
    op.create_table(
        "sweeps",
        sa.Column("uid", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("sweep_id", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(128), nullable=False),
        sa.Column("project", sa.String(128), nullable=False),
        sa.Column("name", sa.String(256)),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("config", json, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(128)),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.UniqueConstraint("sweep_id", name="uq_sweeps_sweep_id"),
    )
    op.create_index("ix_sweeps_project", "sweeps", ["entity", "project"])
    op.create_table(
        "sweep_runs",
        sa.Column("sweep_uid", sa.Integer, sa.ForeignKey("sweeps.uid", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("params", json, nullable=False),
        sa.Column("grid_index", sa.Integer),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("agent", sa.String(128)),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.UniqueConstraint("sweep_uid", "seq", name="uq_sweep_runs_seq"),
        sa.UniqueConstraint("sweep_uid", "grid_index", name="uq_sweep_runs_grid_index"),
    )
    op.create_index("ix_sweep_runs_run_id", "sweep_runs", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_sweep_runs_run_id", table_name="sweep_runs")
    op.drop_table("sweep_runs")
    op.drop_index("ix_sweeps_project", table_name="sweeps")
    op.drop_table("sweeps")
