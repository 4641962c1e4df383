"""Media values logged with history: histograms now, images and tables later.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media_values",
        sa.Column("run_uid", sa.Integer, sa.ForeignKey("runs.uid", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("key", sa.String(256), primary_key=True),
        sa.Column("step", sa.BigInteger, primary_key=True),
        sa.Column("ts", sa.Float, nullable=False),
        sa.Column("media_type", sa.String(32), nullable=False),
        sa.Column("data", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=False),
        sa.Column("blob_key", sa.String(256)),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("media_values")
