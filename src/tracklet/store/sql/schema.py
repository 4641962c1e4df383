"""Tables of the SQL metadata store (SQLite and PostgreSQL).

Alembic revisions in ``migrations/versions`` create and change these tables; a test checks
that the migrated database matches this module exactly. ``SCHEMA_REVISION`` is the head.

History is kept in ``series_chunks``: one row per (key, ingest batch) holding that batch's
points packed as arrays (see ``tracklet.core.chunks``), NaN included. Statistics columns
of ``metric_keys`` that are NULL while ``count`` > 0 stand for NaN (SQLite has no NaN).

Accounts (revision 0002): users and teams are entities (one namespace, checked by the
account store); API keys, sessions and share links keep only a SHA-256 of their token.
A project's visibility lives in ``project_visibility`` keyed by (entity, project) so that
it can be set before the first run arrives; no row means ``private``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection

SCHEMA_REVISION = "0008"

Json = JSON().with_variant(JSONB(), "postgresql")
metadata = MetaData()

KIND_HISTORY = 0
KIND_SYSTEM = 1

projects = Table(
    "projects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("entity", String(128), nullable=False),
    Column("name", String(128), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("entity", "name", name="uq_projects_entity_name"),
)

runs = Table(
    "runs",
    metadata,
    Column("uid", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"),
           nullable=False),
    Column("run_id", String(64), nullable=False),
    Column("name", String(256), nullable=False),
    Column("group_name", String(256)),
    Column("job_type", String(256)),
    Column("tags", Json, nullable=False),
    Column("notes", Text),
    Column("state", String(16), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("heartbeat_at", Float),
    Column("finished_at", Float),
    Column("exit_code", Integer),
    Column("traceback", Text),
    Column("config", Json, nullable=False),
    Column("config_locked", Json, nullable=False),
    Column("summary", Json, nullable=False),
    Column("summary_overrides", Json, nullable=False),
    Column("metric_defs", Json, nullable=False),
    Column("run_metadata", Json, nullable=False),
    Column("last_step", BigInteger),
    Column("dropped", Integer, nullable=False),
    UniqueConstraint("project_id", "run_id", name="uq_runs_project_run"),
)
Index("ix_runs_project_created", runs.c.project_id, runs.c.created_at)
Index("ix_runs_state", runs.c.state)

run_segments = Table(
    "run_segments",
    metadata,
    Column("run_uid", Integer, ForeignKey("runs.uid", ondelete="CASCADE"), primary_key=True),
    Column("segment", String(64), primary_key=True),
    Column("last_seq", BigInteger, nullable=False),
)

metric_keys = Table(
    "metric_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_uid", Integer, ForeignKey("runs.uid", ondelete="CASCADE"), nullable=False),
    Column("key", String(256), nullable=False),
    Column("kind", SmallInteger, nullable=False),
    Column("count", BigInteger, nullable=False),
    Column("finite", BigInteger, nullable=False),
    Column("total", Float),  # NULL: NaN (inf + -inf)
    Column("min", Float),
    Column("max", Float),
    Column("first", Float),
    Column("first_step", BigInteger),
    Column("last", Float),
    Column("last_step", BigInteger),
    Column("max_step", BigInteger),
    UniqueConstraint("run_uid", "key", name="uq_metric_keys_run_key"),
)

series_chunks = Table(
    "series_chunks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key_id", Integer, ForeignKey("metric_keys.id", ondelete="CASCADE"),
           nullable=False),
    Column("min_step", BigInteger, nullable=False),
    Column("max_step", BigInteger, nullable=False),
    Column("n_points", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
)
Index("ix_series_chunks_key_step", series_chunks.c.key_id, series_chunks.c.min_step)


def postgres_has_lz4(conn: Connection) -> bool:
    """True on a PostgreSQL server that can compress with lz4 (14 and later, as built by
    Debian and the PostgreSQL project)."""
    if conn.dialect.name != "postgresql":
        return False
    return conn.execute(text("SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
                             "WHERE name = 'default_toast_compression'")).scalar() is True


# Chunks are packed float arrays: PostgreSQL's default compression of large values (pglz)
# costs more CPU than any other part of ingest and saves little; lz4 is several times
# cheaper (revision 0007 does the same to existing databases).
LZ4_CHUNKS = "ALTER TABLE series_chunks ALTER COLUMN data SET COMPRESSION lz4"


@event.listens_for(series_chunks, "after_create")
def _chunks_with_lz4(target: Table, connection: Connection, **kw: Any) -> None:
    if postgres_has_lz4(connection):
        connection.execute(text(LZ4_CHUNKS))

console_lines = Table(
    "console_lines",
    metadata,
    Column("run_uid", Integer, ForeignKey("runs.uid", ondelete="CASCADE"), primary_key=True),
    Column("line_no", BigInteger, primary_key=True),
    Column("ts", Float, nullable=False),
    Column("stream", String(16), nullable=False),
    Column("text", Text, nullable=False),
    sqlite_with_rowid=False,
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(128), nullable=False),
    Column("password_hash", String(256)),
    Column("is_admin", Boolean, nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("username", name="uq_users_username"),
)

teams = Table(
    "teams",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("name", name="uq_teams_name"),
)

memberships = Table(
    "memberships",
    metadata,
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(16), nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("prefix", String(16), nullable=False),
    Column("key_hash", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("revoked_at", Float),
    UniqueConstraint("key_hash", name="uq_api_keys_hash"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("csrf_hash", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    UniqueConstraint("token_hash", name="uq_sessions_token"),
)

project_visibility = Table(
    "project_visibility",
    metadata,
    Column("entity", String(128), primary_key=True),
    Column("project", String(128), primary_key=True),
    Column("visibility", String(16), nullable=False),
)

share_links = Table(
    "share_links",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False),
    Column("entity", String(128), nullable=False),
    Column("project", String(128), nullable=False),
    Column("run_id", String(64)),
    Column("created_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", Float, nullable=False),
    Column("revoked_at", Float),
    UniqueConstraint("token_hash", name="uq_share_links_token"),
)

# Saved dashboard views (revision 0003): a named panel layout per (entity, project).
saved_views = Table(
    "saved_views",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("entity", String(128), nullable=False),
    Column("project", String(128), nullable=False),
    Column("name", String(128), nullable=False),
    Column("spec", Json, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("entity", "project", "name", name="uq_saved_views_name"),
)

# Artifacts (revision 0004): collections of versions per (entity, project); a version's
# files in ``artifact_files`` (sha256 and, for the W&B protocol, an optional MD5);
# content-addressed blobs shared server-wide in ``artifact_blobs``. A version has no
# number until it is committed (``state``), so it is invisible until its manifest is whole.
artifact_collections = Table(
    "artifact_collections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("entity", String(128), nullable=False),
    Column("project", String(128), nullable=False),
    Column("name", String(128), nullable=False),
    Column("type", String(64), nullable=False),
    Column("description", Text),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("entity", "project", "name", name="uq_artifact_collections_name"),
)

artifact_versions = Table(
    "artifact_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("collection_id", Integer, ForeignKey("artifact_collections.id", ondelete="CASCADE"),
           nullable=False),
    Column("version", Integer),
    Column("state", String(16), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("md5", String(32)),
    Column("description", Text),
    Column("metadata", Json, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("file_count", Integer, nullable=False),
    Column("run_id", String(64)),
    Column("client_id", String(128)),
    Column("created_at", Float, nullable=False),
    Column("committed_at", Float),
    UniqueConstraint("collection_id", "digest", name="uq_artifact_versions_digest"),
    UniqueConstraint("collection_id", "version", name="uq_artifact_versions_version"),
)

artifact_files = Table(
    "artifact_files",
    metadata,
    Column("version_id", Integer, ForeignKey("artifact_versions.id", ondelete="CASCADE"),
           primary_key=True),
    Column("path", String(1024), primary_key=True),
    Column("sha256", String(64)),
    Column("md5", String(32)),
    Column("size", BigInteger),
    Column("ref", Text),
    Column("extra", Json),
)
Index("ix_artifact_files_sha256", artifact_files.c.sha256)

artifact_blobs = Table(
    "artifact_blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("md5", String(32)),
    Column("created_at", Float, nullable=False),
)

artifact_aliases = Table(
    "artifact_aliases",
    metadata,
    Column("collection_id", Integer, ForeignKey("artifact_collections.id", ondelete="CASCADE"),
           primary_key=True),
    Column("alias", String(128), primary_key=True),
    Column("version_id", Integer, ForeignKey("artifact_versions.id", ondelete="CASCADE"),
           nullable=False),
)

artifact_usages = Table(
    "artifact_usages",
    metadata,
    Column("version_id", Integer, ForeignKey("artifact_versions.id", ondelete="CASCADE"),
           primary_key=True),
    Column("run_entity", String(128), primary_key=True),
    Column("run_project", String(128), primary_key=True),
    Column("run_id", String(64), primary_key=True),
    Column("used_at", Float, nullable=False),
)

# Media (revision 0005): non-scalar values logged with history (histograms now; images
# and tables later, their bytes in the blob store under ``blob_key``). One row per
# (run, key, step): the last write wins, as for scalars. ``data`` is W&B-shaped JSON.
media_values = Table(
    "media_values",
    metadata,
    Column("run_uid", Integer, ForeignKey("runs.uid", ondelete="CASCADE"), primary_key=True),
    Column("key", String(256), primary_key=True),
    Column("step", BigInteger, primary_key=True),
    Column("ts", Float, nullable=False),
    Column("media_type", String(32), nullable=False),
    Column("data", Json, nullable=False),
    Column("blob_key", String(256)),
    sqlite_with_rowid=False,
)

# Artifact blob grants (revision 0006): the projects a blob may be used in. A blob is
# granted to a project whose writer uploaded its bytes, or that already holds it; a digest
# alone never lets one project claim another's blob.
artifact_blob_grants = Table(
    "artifact_blob_grants",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("entity", String(128), primary_key=True),
    Column("project", String(128), primary_key=True),
)

# Sweeps (revision 0008): a sweep's W&B-style config and state per (entity, project), its
# id unique server-wide; ``sweep_runs`` the runs it handed out, numbered in claim order
# (``seq``), with their parameters. A grid point (``grid_index``) is handed out once.
sweeps = Table(
    "sweeps",
    metadata,
    Column("uid", Integer, primary_key=True, autoincrement=True),
    Column("sweep_id", String(64), nullable=False),
    Column("entity", String(128), nullable=False),
    Column("project", String(128), nullable=False),
    Column("name", String(256)),
    Column("method", String(16), nullable=False),
    Column("config", Json, nullable=False),
    Column("state", String(16), nullable=False),
    Column("created_by", String(128)),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("sweep_id", name="uq_sweeps_sweep_id"),
)
Index("ix_sweeps_project", sweeps.c.entity, sweeps.c.project)

sweep_runs = Table(
    "sweep_runs",
    metadata,
    Column("sweep_uid", Integer, ForeignKey("sweeps.uid", ondelete="CASCADE"),
           primary_key=True),
    Column("run_id", String(64), primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("params", Json, nullable=False),
    Column("grid_index", Integer),
    Column("state", String(16), nullable=False),
    Column("agent", String(128)),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("sweep_uid", "seq", name="uq_sweep_runs_seq"),
    UniqueConstraint("sweep_uid", "grid_index", name="uq_sweep_runs_grid_index"),
)
Index("ix_sweep_runs_run_id", sweep_runs.c.run_id)
