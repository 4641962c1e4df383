"""Artifacts: collections, versions, files, blobs, aliases and usages.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "artifact_collections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("entity", sa.String(128), nullable=False),
        sa.Column("project", sa.String(128), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("entity", "project", "name", name="uq_artifact_collections_name"),
    )
    op.create_table(
        "artifact_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("collection_id", sa.Integer,
                  sa.ForeignKey("artifact_collections.id", ondelete="CASCADE"), nullable=False),
        sa.Column("version", sa.Integer),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("md5", sa.String(32)),
        sa.Column("description", sa.Text),
        sa.Column("metadata", _JSON, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("file_count", sa.Integer, nullable=False),
        sa.Column("run_id", sa.String(64)),
        sa.Column("client_id", sa.String(128)),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("committed_at", sa.Float),
        sa.UniqueConstraint("collection_id", "digest", name="uq_artifact_versions_digest"),
        sa.UniqueConstraint("collection_id", "version", name="uq_artifact_versions_version"),
    )
    op.create_table(
        "artifact_files",
        sa.Column("version_id", sa.Integer,
                  sa.ForeignKey("artifact_versions.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("path", sa.String(1024), primary_key=True),
        sa.Column("sha256", sa.String(64)),
        sa.Column("md5", sa.String(32)),
        sa.Column("size", sa.BigInteger),
        sa.Column("ref", sa.Text),
        sa.Column("extra", _JSON),
    )
    op.create_index("ix_artifact_files_sha256", "artifact_files", ["sha256"])
    op.create_table(
        "artifact_blobs",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("md5", sa.String(32)),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "artifact_aliases",
        sa.Column("collection_id", sa.Integer,
                  sa.ForeignKey("artifact_collections.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("alias", sa.String(128), primary_key=True),
        sa.Column("version_id", sa.Integer,
                  sa.ForeignKey("artifact_versions.id", ondelete="CASCADE"), nullable=False),
    )
    op.create_table(
        "artifact_usages",
        sa.Column("version_id", sa.Integer,
                  sa.ForeignKey("artifact_versions.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("run_entity", sa.String(128), primary_key=True),
        sa.Column("run_project", sa.String(128), primary_key=True),
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("used_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    for table in ("artifact_usages", "artifact_aliases", "artifact_blobs", "artifact_files"):
        if table == "artifact_files":
            op.drop_index("ix_artifact_files_sha256", table_name=table)
        op.drop_table(table)
    op.drop_table("artifact_versions")
    op.drop_table("artifact_collections")
