"""``SqlArtifactStore`` on SQLite and a real PostgreSQL: versions by digest, aliases,
lineage, blob grants and garbage-collection candidates."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from servers import create_database
from tracklet import errors
from tracklet.store.artifacts import ManifestEntry, manifest_digest
from tracklet.store.sql.artifacts import SqlArtifactStore


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlArtifactStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'a.db'}"
    else:
        base = request.getfixturevalue("postgres_base_url")
        url = create_database(base, f"a_{uuid.uuid4().hex[:16]}")
    s = SqlArtifactStore(url)
    yield s
    s.close()


def blob(store: SqlArtifactStore, data: bytes) -> ManifestEntry:
    digest = hashlib.sha256(data).hexdigest()
    store.record_blob(digest, len(data), hashlib.md5(data).hexdigest())
    return ManifestEntry(f"{data.decode()}.txt", digest, len(data))


def test_versions_aliases_lineage_and_gc(store: SqlArtifactStore) -> None:
    a, b, c = blob(store, b"a"), blob(store, b"b"), blob(store, b"c")
    v0, new = store.commit_version("e", "p", "ds", "dataset", [a, b], aliases=["best"],
                                   run_id="run1", metadata={"k": [1, 2]})
    assert new and (v0.version, v0.aliases, v0.size, v0.file_count) == \
        (0, ["best", "latest"], 2, 2)
    assert v0.digest == manifest_digest([a, b])
    same, new = store.commit_version("e", "p", "ds", "dataset", [b, a])
    assert not new and same.version == 0
    v1, new = store.commit_version("e", "p", "ds", "dataset", [a, c], run_id="run2")
    assert new and v1.version == 1 and v1.aliases == ["latest"]
    assert store.get_version("e", "p", "ds", "best").version == 0
    assert store.get_version("e", "p", "ds", "v1").metadata == {}
    assert store.get_version("e", "p", "ds", "v0").metadata == {"k": [1, 2]}
    files = store.list_files(v0)
    assert [(f.path, f.md5) for f in files] == [("a.txt", hashlib.md5(b"a").hexdigest()),
                                               ("b.txt", hashlib.md5(b"b").hexdigest())]
    store.set_alias(v1, "best")
    assert store.get_version("e", "p", "ds", "best").version == 1
    assert store.get_version("e", "p", "ds", "v0").aliases == []
    store.record_usage(v0, "e", "p", "run2")
    store.record_usage(v0, "e", "p", "run2")
    assert store.used_by(v0) == [("e", "p", "run2")]
    logged, used = store.run_artifacts("e", "p", "run2")
    assert [v.version for v in logged] == [1] and [v.version for v in used] == [0]
    graph = store.lineage(v0)
    assert {(e["source"], e["kind"], e["target"]) for e in graph["edges"]} == {
        ("run:e/p/run1", "logged", "artifact:e/p/ds:v0"),
        ("artifact:e/p/ds:v0", "used", "run:e/p/run2"),
        ("run:e/p/run2", "logged", "artifact:e/p/ds:v1")}
    assert [(c.name, c.version_count) for c in store.list_collections("e", "p")] == [("ds", 2)]

    assert store.unreferenced_blobs() == []
    store.delete_version(v0)
    assert [d for d, _ in store.unreferenced_blobs()] == [b.digest]
    assert store.forget_blobs([b.digest, a.digest]) == 1  # a is still held by v1
    assert store.missing_blobs([a.digest, b.digest]) == [b.digest]
    with pytest.raises(errors.NotFoundError):
        store.get_version("e", "p", "ds", "v0")


def test_commit_needs_every_blob_and_one_type(store: SqlArtifactStore) -> None:
    ghost = ManifestEntry("x.bin", "0" * 64, 3)
    with pytest.raises(errors.ConflictError, match="not uploaded") as info:
        store.commit_version("e", "p", "m", "model", [ghost])
    assert info.value.details["missing"] == ["0" * 64]
    with pytest.raises(errors.NotFoundError):
        store.list_versions("e", "p", "m")
    a = blob(store, b"a")
    store.commit_version("e", "p", "m", "model", [a])
    with pytest.raises(errors.ConflictError, match="of type 'model'"):
        store.commit_version("e", "p", "m", "dataset", [a])
    with pytest.raises(errors.ValidationError, match="does not match"):
        store.commit_version("e", "p", "m", "model", [a], digest="f" * 64)


def test_blob_grants(store: SqlArtifactStore) -> None:
    a = blob(store, b"a")
    store.commit_version("alice", "p", "ds", "dataset", [a])
    assert store.missing_for("bob", "p", [a.digest], lambda e, p: False) == [a.digest]
    assert store.missing_for("bob", "p", [a.digest], lambda e, p: e == "alice") == []
    # granted now: bob/p keeps it even without read access later
    assert store.missing_for("bob", "p", [a.digest], lambda e, p: False) == []
    assert store.missing_for("carol", "p", [a.digest], lambda e, p: False) == [a.digest]
    store.grant_blobs([a.digest], "carol", "p")
    assert store.missing_for("carol", "p", [a.digest], lambda e, p: False) == []
