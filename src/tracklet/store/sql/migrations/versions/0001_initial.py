"""Initial schema: projects, runs, segments, metric keys, series chunks, console lines.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("entity", sa.String(128), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.UniqueConstraint("entity", "name", name="uq_projects_entity_name"),
    )
    op.create_table(
        "runs",
        sa.Column("uid", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("group_name", sa.String(256)),
        sa.Column("job_type", sa.String(256)),
        sa.Column("tags", Json, nullable=False),
        sa.Column("notes", sa.Text),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("heartbeat_at", sa.Float),
        sa.Column("finished_at", sa.Float),
        sa.Column("exit_code", sa.Integer),
        sa.Column("traceback", sa.Text),
        sa.Column("config", Json, nullable=False),
        sa.Column("config_locked", Json, nullable=False),
        sa.Column("summary", Json, nullable=False),
        sa.Column("summary_overrides", Json, nullable=False),
        sa.Column("metric_defs", Json, nullable=False),
        sa.Column("run_metadata", Json, nullable=False),
        sa.Column("last_step", sa.BigInteger),
        sa.Column("dropped", sa.Integer, nullable=False),
        sa.UniqueConstraint("project_id", "run_id", name="uq_runs_project_run"),
    )
    op.create_index("ix_runs_project_created", "runs", ["project_id", "created_at"])
    op.create_index("ix_runs_state", "runs", ["state"])
    op.create_table(
        "run_segments",
        sa.Column("run_uid", sa.Integer, sa.ForeignKey("runs.uid", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("segment", sa.String(64), primary_key=True),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "metric_keys",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_uid", sa.Integer, sa.ForeignKey("runs.uid", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("key", sa.String(256), nullable=False),
        sa.Column("kind", sa.SmallInteger, nullable=False),
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.Column("finite", sa.BigInteger, nullable=False),
        sa.Column("total", sa.Float),
        sa.Column("min", sa.Float),
        sa.Column("max", sa.Float),
        sa.Column("first", sa.Float),
        sa.Column("first_step", sa.BigInteger),
        sa.Column("last", sa.Float),
        sa.Column("last_step", sa.BigInteger),
        sa.Column("max_step", sa.BigInteger),
        sa.UniqueConstraint("run_uid", "key", name="uq_metric_keys_run_key"),
    )
    op.create_table(
        "series_chunks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key_id", sa.Integer, sa.ForeignKey("metric_keys.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("min_step", sa.BigInteger, nullable=False),
        sa.Column("max_step", sa.BigInteger, nullable=False),
        sa.Column("n_points", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_series_chunks_key_step", "series_chunks", ["key_id", "min_step"])
    op.create_table(
        "console_lines",
        sa.Column("run_uid", sa.Integer, sa.ForeignKey("runs.uid", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("line_no", sa.BigInteger, primary_key=True),
        sa.Column("ts", sa.Float, nullable=False),
        sa.Column("stream", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    for table in ("console_lines", "series_chunks", "metric_keys", "run_segments", "runs",
                  "projects"):
        op.drop_table(table)
