"""Engines for the SQL store, and bringing a database's schema to the head revision.

SQLite is used the way datasette does it: WAL, a generous busy timeout, and writes in
``BEGIN IMMEDIATE`` transactions so that several processes logging into one file queue
for the lock instead of failing with "database is locked".
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from tracklet.errors import StoreError
from tracklet.store.sql.schema import SCHEMA_REVISION, metadata

MIGRATIONS = Path(__file__).parent / "migrations"
_MIGRATING = threading.Lock()


_FLOAT_TAG = "$float"
_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _finite_json(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    if isinstance(value, float) and not math.isfinite(value):
        name = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        return {_FLOAT_TAG: name}
    if isinstance(value, dict):
        return {_finite_json(k): _finite_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite_json(v) for v in value]
    return value


def _revive(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and _FLOAT_TAG in value:
            return _NON_FINITE.get(value[_FLOAT_TAG], value)
        return {k: _revive(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_revive(v) for v in value]
    return value


def dump_json(value: Any) -> str:
    """JSON for the database. JSON has no NaN or Infinity (PostgreSQL refuses them, SQLite's
    json functions choke on them): they are stored as ``{"$float": "NaN"}`` and friends,
    which numeric filters skip and ``load_json`` turns back into floats."""
    return json.dumps(_finite_json(value), separators=(",", ":"), allow_nan=False)


def load_json(text: str) -> Any:
    """The inverse of ``dump_json``."""
    return _revive(json.loads(text))


def sqlite_url(path: str | os.PathLike[str]) -> str:
    return f"sqlite:///{Path(path)}"


def make_engine(url: str, *, immediate: bool = False) -> Engine:
    """An engine for ``url``; with ``immediate`` SQLite transactions take the write lock."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            json_serializer=dump_json,
            json_deserializer=load_json,
            connect_args={"timeout": 120, "check_same_thread": False},
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=120000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            conn.exec_driver_sql(begin)

        return engine
    return create_engine(url, json_serializer=dump_json, json_deserializer=load_json,
                         pool_pre_ping=True)


def current_revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    return None if row is None else str(row[0])


def migrate(engine: Engine) -> None:
    """Bring the database to ``SCHEMA_REVISION``; a no-op, without Alembic, when it is.

    An empty database gets the current schema in one step (``create_all``, then stamped
    with the head revision, as Alembic's documentation recommends for new databases);
    an older one is upgraded in place by the Alembic revisions. Either way one process
    does it: SQLite writers hold ``BEGIN IMMEDIATE``, PostgreSQL an advisory lock. Within
    one process the stores opening at once (metadata, artifacts, ...) take turns: two
    first connections to a new SQLite file racing to switch it to WAL could fail with
    "database is locked".
    """
    with _MIGRATING:
        _migrate(engine)


def _migrate(engine: Engine) -> None:
    with engine.connect() as conn:
        if current_revision(conn) == SCHEMA_REVISION:
            return
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(74726163)"))  # one migrator
        revision = current_revision(conn)
        if revision == SCHEMA_REVISION:  # another process just did it
            return
        if revision is None and not inspect(conn).get_table_names():
            metadata.create_all(conn)
            conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT "
                              "NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY "
                              "(version_num))"))
            conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"),
                         {"v": SCHEMA_REVISION})
        else:
            alembic_upgrade(conn)


def alembic_upgrade(conn: Connection) -> None:
    """Run the Alembic revisions up to the head on ``conn`` (inside its transaction)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


class SqlStoreBase:
    """What the account, artifact and view stores share: their engine (made from a URL and
    disposed of by ``close()``, or lent by the caller), migrated when they open, and a
    clock."""

    what = "store"  # named in the error when the database cannot be opened

    def __init__(self, url_or_engine: str | Engine, *,
                 clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._own = isinstance(url_or_engine, str)
        self._engine = (make_engine(url_or_engine, immediate=True)
                        if isinstance(url_or_engine, str) else url_or_engine)
        try:
            migrate(self._engine)
        except OperationalError as exc:
            raise StoreError(f"cannot open the {self.what}: {exc.orig}") from exc

    def close(self) -> None:
        if self._own:
            self._engine.dispose()
