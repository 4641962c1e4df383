"""Series chunks compressed with lz4 on PostgreSQL (pglz was the ingest's main CPU cost).

Only new values are stored with lz4; those already stored stay as they are. Other
databases are not changed.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

from tracklet.store.sql.schema import LZ4_CHUNKS, postgres_has_lz4

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if postgres_has_lz4(op.get_bind()):
        op.execute(LZ4_CHUNKS)


def downgrade() -> None:
    if postgres_has_lz4(op.get_bind()):
        op.execute("ALTER TABLE series_chunks ALTER COLUMN data SET COMPRESSION DEFAULT")
