"""Artifact blob grants: which projects may use a blob.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "artifact_blob_grants",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("entity", sa.String(128), primary_key=True),
        sa.Column("project", sa.String(128), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("artifact_blob_grants")
