"""The migrated database is exactly ``schema.metadata``; migrating again changes nothing."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from record_builder import Segment
from sqlalchemy import inspect, text

from servers import create_database
from tracklet.store.sql.engine import (
    MIGRATIONS,
    alembic_upgrade,
    current_revision,
    make_engine,
    migrate,
)
from tracklet.store.sql.schema import SCHEMA_REVISION, metadata, postgres_has_lz4
from tracklet.store.sql.store import SqlMetadataStore


def test_schema_revision_is_the_alembic_head() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(cfg)
    assert script.get_heads() == [SCHEMA_REVISION]


@pytest.mark.parametrize("how", ["alembic revisions", "fresh database"])
def test_migrated_database_matches_the_schema_module(store_url: str, how: str) -> None:
    """Both ways to a current schema give exactly ``schema.metadata``: the Alembic
    revisions (how existing databases are upgraded) and migrate()'s one-step creation of
    an empty database (create_all + stamp)."""
    engine = make_engine(store_url, immediate=True)
    try:
        if how == "alembic revisions":
            with engine.begin() as conn:
                alembic_upgrade(conn)
        else:
            migrate(engine)
        with engine.begin() as conn:
            alembic_upgrade(conn)  # Alembic agrees it is at the head: nothing to do
        with engine.connect() as conn:
            assert current_revision(conn) == SCHEMA_REVISION
            context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                             "compare_server_default": True})
            diff = compare_metadata(context, metadata)
            tables = set(inspect(conn).get_table_names())
    finally:
        engine.dispose()
    assert diff == []
    assert tables == {t.name for t in metadata.sorted_tables} | {"alembic_version"}


def test_migrate_on_an_existing_database_is_a_no_op(store_url: str) -> None:
    store = SqlMetadataStore(store_url)
    seg = Segment()
    store.append_records(seg.header, [seg.start(), seg.history(0, loss=1.0)])
    store.close()

    engine = make_engine(store_url)
    try:
        with engine.connect() as conn:
            before = conn.execute(text("SELECT version_num FROM alembic_version")).all()
        migrate(engine)
        migrate(engine)
        with engine.connect() as conn:
            after = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    finally:
        engine.dispose()
    assert before == after == [(SCHEMA_REVISION,)]

    reopened = SqlMetadataStore(store_url)
    try:
        found = reopened.read_series(seg.ref, ["loss"])
        assert (found[0].steps, found[0].values) == ([0], [1.0])
    finally:
        reopened.close()


@pytest.mark.parametrize("how", ["alembic revisions", "fresh database"])
def test_postgresql_compresses_chunks_with_lz4(postgres_base_url: str, how: str) -> None:
    """pglz, PostgreSQL's default for large values, was the main CPU cost of ingest."""
    url = create_database(postgres_base_url, f"z_{uuid.uuid4().hex[:16]}")
    engine = make_engine(url, immediate=True)
    try:
        if how == "alembic revisions":
            with engine.begin() as conn:
                alembic_upgrade(conn)
        else:
            migrate(engine)
        with engine.connect() as conn:
            assert postgres_has_lz4(conn)  # PostgreSQL 15 from Debian, as in CI
            method = conn.execute(text(
                "SELECT attcompression FROM pg_attribute WHERE attname = 'data' "
                "AND attrelid = 'series_chunks'::regclass")).scalar()
    finally:
        engine.dispose()
    assert method == "l"
