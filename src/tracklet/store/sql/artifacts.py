"""``SqlArtifactStore``: artifact collections, versions, aliases, lineage and the blob index,
beside the metadata store in the same database (same schema, same migrations).

A version is written in one transaction with its files, once every blob it names is in
the blob index (``artifact_blobs``), so no reader ever sees a version whose manifest is
incomplete. The same manifest digest in a collection is the same version.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from tracklet.core.media import BLOB_TYPES, image_files
from tracklet.errors import ConflictError, NotFoundError, ValidationError
from tracklet.store.artifacts import (
    VERSION,
    ArtifactVersionInfo,
    CollectionInfo,
    ManifestEntry,
    check_alias,
    check_artifact_name,
    check_artifact_type,
    check_manifest,
    manifest_digest,
)
from tracklet.store.blobs.base import check_digest
from tracklet.store.sql.engine import SqlStoreBase
from tracklet.store.sql.ingest import dialect_insert
from tracklet.store.sql.schema import (
    artifact_aliases,
    artifact_blob_grants,
    artifact_blobs,
    artifact_collections,
    artifact_files,
    artifact_usages,
    artifact_versions,
    media_values,
)

COMMITTED = "committed"
_CHUNK = 500


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _media_digests(conn: Connection) -> set[str]:
    """The blobs logged images use (media values of runs; they share the blob store)."""
    found: set[str] = set()
    rows = conn.execute(select(media_values.c.data)
                        .where(media_values.c.media_type.in_(BLOB_TYPES)))
    for (data,) in rows:
        found.update(str(image.get("sha256")) for image in image_files(data))
    return found


class SqlArtifactStore(SqlStoreBase):
    """Artifacts in one SQL database, shared by any number of processes."""

    what = "artifact store"

    # -- blobs -------------------------------------------------------------------------------

    def missing_blobs(self, digests: Sequence[str]) -> list[str]:
        """Those of ``digests`` the blob index does not hold, in the order given."""
        wanted = list(dict.fromkeys(check_digest(d) for d in digests))
        have: set[str] = set()
        with self._engine.connect() as conn:
            for part in _chunks(wanted):
                have.update(conn.execute(select(artifact_blobs.c.sha256)
                                         .where(artifact_blobs.c.sha256.in_(part))).scalars())
        return [d for d in wanted if d not in have]

    def record_blob(self, digest: str, size: int, md5: str | None = None, *,
                    grant: tuple[str, str] | None = None) -> None:
        """Note that the blob store now holds ``digest`` (idempotent); with ``grant``,
        let that (entity, project) use it, in the same transaction."""
        self.record_blobs([(digest, size, md5)], grant=grant)

    def record_blobs(self, blobs: Sequence[tuple[str, int, str | None]], *,
                     grant: tuple[str, str] | None = None) -> None:
        """``record_blob`` for many blobs in one transaction."""
        if not blobs:
            return
        rows = {check_digest(d): (size, md5) for d, size, md5 in blobs}
        now = self._clock()
        with self._engine.begin() as conn:
            for part in _chunks(sorted(rows)):  # set-based: a few statements per 500 blobs
                known = dict(conn.execute(select(artifact_blobs.c.sha256, artifact_blobs.c.md5)
                                          .where(artifact_blobs.c.sha256.in_(part))).all())
                new = [{"sha256": d, "size": rows[d][0], "md5": rows[d][1], "created_at": now}
                       for d in part if d not in known]
                if new:  # another process may record some at the same time: no conflict
                    conn.execute(dialect_insert(conn, artifact_blobs)
                                 .on_conflict_do_nothing(index_elements=["sha256"]), new)
                for d in part:
                    if d in known and known[d] is None and rows[d][1]:
                        conn.execute(update(artifact_blobs).where(
                            artifact_blobs.c.sha256 == d).values(md5=rows[d][1]))
                if grant is not None:
                    self._grant_all(conn, part, *grant)

    def missing_for(self, entity: str, project: str, digests: Sequence[str],
                    can_read: Callable[[str, str], bool]) -> list[str]:
        """Those of ``digests`` that ``entity/project`` may not use yet: not stored, or
        stored but neither granted to the project nor held by a version of a project the
        caller can read (``can_read``). Those held in a readable project are granted now,
        so a digest alone never opens another team's blob."""
        wanted = list(dict.fromkeys(check_digest(d) for d in digests))
        stored = set(wanted) - set(self.missing_blobs(wanted))
        usable: set[str] = set()
        holders: dict[str, set[tuple[str, str]]] = {}
        with self._engine.connect() as conn:
            for part in _chunks(sorted(stored)):
                usable.update(conn.execute(
                    select(artifact_blob_grants.c.sha256).where(
                        artifact_blob_grants.c.entity == entity,
                        artifact_blob_grants.c.project == project,
                        artifact_blob_grants.c.sha256.in_(part))).scalars())
            rest = sorted(stored - usable)
            for part in _chunks(rest):
                for sha, e, p in conn.execute(
                        select(artifact_files.c.sha256, artifact_collections.c.entity,
                               artifact_collections.c.project).distinct()
                        .select_from(artifact_files.join(
                            artifact_versions,
                            artifact_versions.c.id == artifact_files.c.version_id)
                            .join(artifact_collections, artifact_collections.c.id
                                  == artifact_versions.c.collection_id))
                        .where(artifact_files.c.sha256.in_(part))):
                    holders.setdefault(sha, set()).add((e, p))
        readable = {sha for sha, where in holders.items()
                    if any((e, p) == (entity, project) or can_read(e, p) for e, p in where)}
        self.grant_blobs(sorted(readable), entity, project)
        usable |= readable
        return [d for d in wanted if d not in usable]

    def grant_blobs(self, digests: Sequence[str], entity: str, project: str) -> None:
        """Let ``entity/project`` use these blobs (its writer proved it has the bytes)."""
        if not digests:
            return
        with self._engine.begin() as conn:
            for part in _chunks(sorted(set(digests))):
                self._grant_all(conn, part, entity, project)

    @staticmethod
    def _grant_all(conn: Connection, digests: Sequence[str], entity: str,
                   project: str) -> None:
        """Grant ``digests`` (at most a chunk) to ``entity/project``: one statement each way."""
        have = set(conn.execute(select(artifact_blob_grants.c.sha256).where(
            artifact_blob_grants.c.entity == entity,
            artifact_blob_grants.c.project == project,
            artifact_blob_grants.c.sha256.in_(list(digests)))).scalars())
        new = [{"sha256": d, "entity": entity, "project": project}
               for d in digests if d not in have]
        if new:
            conn.execute(dialect_insert(conn, artifact_blob_grants).on_conflict_do_nothing(
                index_elements=["sha256", "entity", "project"]), new)

    def blob_readable_in(self, digest: str) -> set[tuple[str, str]]:
        """The (entity, project) pairs whose committed versions hold ``digest``."""
        check_digest(digest)
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(artifact_collections.c.entity, artifact_collections.c.project)
                .distinct()
                .select_from(artifact_files.join(
                    artifact_versions, artifact_versions.c.id == artifact_files.c.version_id)
                    .join(artifact_collections,
                          artifact_collections.c.id == artifact_versions.c.collection_id))
                .where(artifact_files.c.sha256 == digest)).all()
        return {(r[0], r[1]) for r in rows}

    def blobs_held_by(self, entity: str, project: str, digests: Sequence[str]) -> set[str]:
        """Those of ``digests`` that artifact versions of ``entity/project`` hold (what a
        reader of that project may download), in a query per 500."""
        wanted = list(dict.fromkeys(check_digest(d) for d in digests))
        out: set[str] = set()
        with self._engine.connect() as conn:
            for part in _chunks(wanted):
                out.update(conn.execute(
                    select(artifact_files.c.sha256).distinct()
                    .select_from(artifact_files.join(
                        artifact_versions,
                        artifact_versions.c.id == artifact_files.c.version_id)
                        .join(artifact_collections,
                              artifact_collections.c.id == artifact_versions.c.collection_id))
                    .where(artifact_collections.c.entity == entity,
                           artifact_collections.c.project == project,
                           artifact_files.c.sha256.in_(part))).scalars())
        return out

    def unreferenced_blobs(self, *, min_age: float = 0.0) -> list[tuple[str, int]]:
        """Blobs in the index that no version names, no logged image uses, and that were
        stored at least ``min_age`` seconds ago (younger ones may belong to a log still
        uploading): what garbage collection may delete."""
        with self._engine.connect() as conn:
            used = select(artifact_files.c.sha256).where(artifact_files.c.sha256.is_not(None))
            rows = conn.execute(select(artifact_blobs.c.sha256, artifact_blobs.c.size)
                                .where(artifact_blobs.c.sha256.not_in(used),
                                       artifact_blobs.c.created_at
                                       <= self._clock() - min_age)
                                .order_by(artifact_blobs.c.sha256)).all()
            media = _media_digests(conn) if rows else set()
        return [(r[0], int(r[1])) for r in rows if r[0] not in media]

    def forget_blobs(self, digests: Sequence[str]) -> int:
        """Drop index rows of blobs no version names (others are kept); return how many."""
        dropped = 0
        with self._engine.begin() as conn:
            used = select(artifact_files.c.sha256).where(artifact_files.c.sha256.is_not(None))
            media = _media_digests(conn)
            for part in _chunks([d for d in digests if d not in media]):
                dropped += conn.execute(delete(artifact_blobs).where(
                    artifact_blobs.c.sha256.in_(part),
                    artifact_blobs.c.sha256.not_in(used))).rowcount
                conn.execute(delete(artifact_blob_grants).where(
                    artifact_blob_grants.c.sha256.in_(part),
                    artifact_blob_grants.c.sha256.not_in(used)))
        return dropped

    def blob_md5s(self, digests: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        with self._engine.connect() as conn:
            for part in _chunks(list(digests)):
                for sha, md5 in conn.execute(
                        select(artifact_blobs.c.sha256, artifact_blobs.c.md5)
                        .where(artifact_blobs.c.sha256.in_(part),
                               artifact_blobs.c.md5.is_not(None))):
                    out[sha] = md5
        return out

    # -- versions ----------------------------------------------------------------------------

    def commit_version(self, entity: str, project: str, name: str, type: str,
                       entries: Sequence[ManifestEntry], *, description: str | None = None,
                       metadata: dict[str, Any] | None = None, aliases: Sequence[str] = (),
                       run_id: str | None = None, digest: str | None = None
                       ) -> tuple[ArtifactVersionInfo, bool]:
        """Create the version holding ``entries`` (or find the one with the same digest);
        returns it and whether it is new. Every blob must be in the index already
        (ConflictError naming the missing ones otherwise). ``aliases`` move to it, and
        ``latest`` moves to it when it is new."""
        check_artifact_name(name)
        check_artifact_type(type)
        check_manifest(entries)
        wanted = [check_alias(a) for a in dict.fromkeys(aliases) if a != "latest"]
        computed = manifest_digest(entries)
        if digest is not None and digest != computed:
            raise ValidationError(f"the manifest digest {digest} does not match its entries "
                                  f"({computed}); the manifest was changed on the way")
        missing = self.missing_blobs([e.digest for e in entries if e.digest])
        if missing:
            raise ConflictError(f"{len(missing)} blob(s) of the manifest are not uploaded "
                                f"yet (first: {missing[0]}); upload them, then commit again",
                                details={"missing": missing[:1000]})
        for attempt in range(3):
            try:
                with self._engine.begin() as conn:
                    vid, created = self._commit(conn, entity, project, name, type, entries,
                                                computed, description, metadata or {},
                                                run_id)
                    for alias in ([*wanted, "latest"] if created else wanted):
                        self._move_alias(conn, vid, alias)
                return self._version_by_id(vid), created
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _commit(self, conn: Connection, entity: str, project: str, name: str, type: str,
                entries: Sequence[ManifestEntry], digest: str, description: str | None,
                metadata: dict[str, Any], run_id: str | None) -> tuple[int, bool]:
        now = self._clock()
        coll = conn.execute(select(artifact_collections.c.id, artifact_collections.c.type)
                            .where(artifact_collections.c.entity == entity,
                                   artifact_collections.c.project == project,
                                   artifact_collections.c.name == name)).first()
        if coll is None:
            cid = int(conn.execute(insert(artifact_collections).values(
                entity=entity, project=project, name=name, type=type,
                description=description, created_at=now)).inserted_primary_key[0])  # type: ignore[index]
        elif coll[1] != type:
            raise ConflictError(f"artifact {entity}/{project}/{name} is of type {coll[1]!r}, "
                                f"not {type!r}: use another name or the same type")
        else:
            cid = int(coll[0])
        found = conn.execute(select(artifact_versions.c.id)
                             .where(artifact_versions.c.collection_id == cid,
                                    artifact_versions.c.digest == digest)).scalar()
        if found is not None:
            return int(found), False
        number = conn.execute(select(func.max(artifact_versions.c.version))
                              .where(artifact_versions.c.collection_id == cid)).scalar()
        md5s = self._md5s(conn, [e.digest for e in entries if e.digest and not e.md5])
        vid = int(conn.execute(insert(artifact_versions).values(
            collection_id=cid, version=0 if number is None else int(number) + 1,
            state=COMMITTED, digest=digest, description=description, metadata=metadata,
            size=sum(e.size or 0 for e in entries), file_count=len(entries), run_id=run_id,
            created_at=now, committed_at=now)).inserted_primary_key[0])  # type: ignore[index]
        rows = [{"version_id": vid, "path": e.path, "sha256": e.digest,
                 "md5": e.md5 or (md5s.get(e.digest) if e.digest else None), "size": e.size,
                 "ref": e.ref, "extra": e.extra} for e in entries]
        for part in _chunks(rows):
            conn.execute(insert(artifact_files), list(part))
        return vid, True

    @staticmethod
    def _md5s(conn: Connection, digests: list[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for part in _chunks(digests):
            for sha, md5 in conn.execute(select(artifact_blobs.c.sha256, artifact_blobs.c.md5)
                                         .where(artifact_blobs.c.sha256.in_(part))):
                if md5:
                    out[sha] = md5
        return out

    @staticmethod
    def _move_alias(conn: Connection, vid: int, alias: str) -> None:
        cid = conn.execute(select(artifact_versions.c.collection_id)
                           .where(artifact_versions.c.id == vid)).scalar_one()
        conn.execute(delete(artifact_aliases).where(artifact_aliases.c.collection_id == cid,
                                                    artifact_aliases.c.alias == alias))
        conn.execute(insert(artifact_aliases).values(collection_id=cid, alias=alias,
                                                     version_id=vid))

    def _select_versions(self) -> Any:
        return (select(artifact_versions, artifact_collections.c.entity,
                       artifact_collections.c.project, artifact_collections.c.name,
                       artifact_collections.c.type)
                .join(artifact_collections,
                      artifact_collections.c.id == artifact_versions.c.collection_id)
                .where(artifact_versions.c.state == COMMITTED))

    def _info(self, conn: Connection, row: Any) -> ArtifactVersionInfo:
        aliases = sorted(conn.execute(select(artifact_aliases.c.alias)
                                      .where(artifact_aliases.c.version_id == row.id))
                         .scalars())
        return ArtifactVersionInfo(
            entity=row.entity, project=row.project, name=row.name, type=row.type,
            version=int(row.version), digest=row.digest, aliases=aliases, size=int(row.size),
            file_count=int(row.file_count), created_at=float(row.created_at),
            description=row.description, metadata=dict(row.metadata or {}),
            run_id=row.run_id, id=int(row.id))

    def _version_by_id(self, vid: int) -> ArtifactVersionInfo:
        with self._engine.connect() as conn:
            row = conn.execute(self._select_versions()
                               .where(artifact_versions.c.id == vid)).first()
            if row is None:
                raise NotFoundError(f"no artifact version with id {vid}")
            return self._info(conn, row)

    def get_version(self, entity: str, project: str, name: str,
                    alias: str = "latest") -> ArtifactVersionInfo:
        """A version by ``latest``, ``vN`` or a user alias; NotFoundError otherwise."""
        query = self._select_versions().where(artifact_collections.c.entity == entity,
                                              artifact_collections.c.project == project,
                                              artifact_collections.c.name == name)
        number = VERSION.match(alias)
        if number:
            query = query.where(artifact_versions.c.version == int(number.group(1)))
        else:
            query = query.join(artifact_aliases, and_(
                artifact_aliases.c.version_id == artifact_versions.c.id,
                artifact_aliases.c.alias == alias))
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
            if row is None:
                raise NotFoundError(f"no artifact {entity}/{project}/{name}:{alias}")
            return self._info(conn, row)

    def list_files(self, version: ArtifactVersionInfo) -> list[ManifestEntry]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(artifact_files)
                                .where(artifact_files.c.version_id == version.id)
                                .order_by(artifact_files.c.path)).all()
        return [ManifestEntry(r.path, r.sha256, None if r.size is None else int(r.size),
                              r.md5, r.ref, r.extra) for r in rows]

    def list_versions(self, entity: str, project: str, name: str) -> list[ArtifactVersionInfo]:
        with self._engine.connect() as conn:
            rows = conn.execute(self._select_versions()
                                .where(artifact_collections.c.entity == entity,
                                       artifact_collections.c.project == project,
                                       artifact_collections.c.name == name)
                                .order_by(artifact_versions.c.version)).all()
            if not rows:
                self._collection_id(conn, entity, project, name)
            return [self._info(conn, r) for r in rows]

    def list_collections(self, entity: str, project: str,
                         type: str | None = None) -> list[CollectionInfo]:
        count = (select(func.count()).where(
            artifact_versions.c.collection_id == artifact_collections.c.id,
            artifact_versions.c.state == COMMITTED).scalar_subquery())
        query = (select(artifact_collections, count.label("n"))
                 .where(artifact_collections.c.entity == entity,
                        artifact_collections.c.project == project)
                 .order_by(artifact_collections.c.type, artifact_collections.c.name))
        if type is not None:
            query = query.where(artifact_collections.c.type == type)
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [CollectionInfo(r.entity, r.project, r.name, r.type, r.description,
                               float(r.created_at), int(r.n)) for r in rows]

    @staticmethod
    def _collection_id(conn: Connection, entity: str, project: str, name: str) -> int:
        cid = conn.execute(select(artifact_collections.c.id)
                           .where(artifact_collections.c.entity == entity,
                                  artifact_collections.c.project == project,
                                  artifact_collections.c.name == name)).scalar()
        if cid is None:
            raise NotFoundError(f"no artifact {entity}/{project}/{name}")
        return int(cid)

    def set_alias(self, version: ArtifactVersionInfo, alias: str) -> ArtifactVersionInfo:
        """Move ``alias`` (unique in the collection) to ``version``."""
        check_alias(alias)
        with self._engine.begin() as conn:
            self._move_alias(conn, version.id, alias)
        return self._version_by_id(version.id)

    def remove_alias(self, version: ArtifactVersionInfo, alias: str) -> ArtifactVersionInfo:
        if alias == "latest":
            raise ValidationError("'latest' moves by itself and cannot be removed")
        with self._engine.begin() as conn:
            conn.execute(delete(artifact_aliases).where(
                artifact_aliases.c.version_id == version.id, artifact_aliases.c.alias == alias))
        return self._version_by_id(version.id)

    def delete_version(self, version: ArtifactVersionInfo) -> None:
        """Delete a version (its blobs stay until garbage collection); ``latest`` moves to
        the newest remaining version."""
        with self._engine.begin() as conn:
            cid = conn.execute(select(artifact_versions.c.collection_id)
                               .where(artifact_versions.c.id == version.id)).scalar()
            if cid is None:
                raise NotFoundError(f"no artifact {version.qualified_name}")
            conn.execute(delete(artifact_versions).where(artifact_versions.c.id == version.id))
            newest = conn.execute(select(artifact_versions.c.id)
                                  .where(artifact_versions.c.collection_id == cid)
                                  .order_by(artifact_versions.c.version.desc())
                                  .limit(1)).scalar()
            if newest is not None:
                has_latest = conn.execute(select(artifact_aliases.c.alias).where(
                    artifact_aliases.c.collection_id == cid,
                    artifact_aliases.c.alias == "latest")).first()
                if has_latest is None:
                    self._move_alias(conn, int(newest), "latest")

    # -- lineage -----------------------------------------------------------------------------

    def record_usage(self, version: ArtifactVersionInfo, entity: str, project: str,
                     run_id: str) -> None:
        with self._engine.begin() as conn:
            exists = conn.execute(select(artifact_usages.c.version_id).where(
                artifact_usages.c.version_id == version.id,
                artifact_usages.c.run_entity == entity,
                artifact_usages.c.run_project == project,
                artifact_usages.c.run_id == run_id)).first()
            if exists is None:
                try:
                    with conn.begin_nested():
                        conn.execute(insert(artifact_usages).values(
                            version_id=version.id, run_entity=entity, run_project=project,
                            run_id=run_id, used_at=self._clock()))
                except IntegrityError:
                    pass

    def used_by(self, version: ArtifactVersionInfo) -> list[tuple[str, str, str]]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(artifact_usages.c.run_entity,
                                       artifact_usages.c.run_project, artifact_usages.c.run_id)
                                .where(artifact_usages.c.version_id == version.id)
                                .order_by(artifact_usages.c.used_at)).all()
        return [(r[0], r[1], r[2]) for r in rows]

    def run_artifacts(self, entity: str, project: str, run_id: str
                      ) -> tuple[list[ArtifactVersionInfo], list[ArtifactVersionInfo]]:
        """(versions the run logged, versions it used)."""
        with self._engine.connect() as conn:
            logged = conn.execute(self._select_versions().where(
                artifact_collections.c.entity == entity,
                artifact_collections.c.project == project,
                artifact_versions.c.run_id == run_id)
                .order_by(artifact_versions.c.created_at)).all()
            used = conn.execute(self._select_versions().join(
                artifact_usages, artifact_usages.c.version_id == artifact_versions.c.id)
                .where(artifact_usages.c.run_entity == entity,
                       artifact_usages.c.run_project == project,
                       artifact_usages.c.run_id == run_id)
                .order_by(artifact_usages.c.used_at)).all()
            return ([self._info(conn, r) for r in logged], [self._info(conn, r) for r in used])

    def lineage(self, version: ArtifactVersionInfo, *, depth: int = 3) -> dict[str, Any]:
        """A graph around ``version``: nodes (artifact versions and runs) and edges
        ``run -> version`` (logged) and ``version -> run`` (used), ``depth`` hops each way."""
        nodes: dict[str, dict[str, Any]] = {}
        edges: set[tuple[str, str, str]] = set()
        frontier = [version]
        for _ in range(depth):
            following: list[ArtifactVersionInfo] = []
            for v in frontier:
                key = f"artifact:{v.qualified_name}"
                if key in nodes:
                    continue
                nodes[key] = {"id": key, "kind": "artifact", **v.to_json()}
                if v.run_id:
                    run_key = f"run:{v.entity}/{v.project}/{v.run_id}"
                    nodes.setdefault(run_key, self._run_node(v.entity, v.project, v.run_id))
                    edges.add((run_key, key, "logged"))
                    following.extend(self.run_artifacts(v.entity, v.project, v.run_id)[1])
                for e, p, r in self.used_by(v):
                    run_key = f"run:{e}/{p}/{r}"
                    nodes.setdefault(run_key, self._run_node(e, p, r))
                    edges.add((key, run_key, "used"))
                    following.extend(self.run_artifacts(e, p, r)[0])
            frontier = following
        for v in frontier:  # the last ring: nodes for edges already drawn
            key = f"artifact:{v.qualified_name}"
            nodes.setdefault(key, {"id": key, "kind": "artifact", **v.to_json()})
        keys = set(nodes)
        return {"nodes": list(nodes.values()),
                "edges": [{"source": s, "target": t, "kind": k} for s, t, k in sorted(edges)
                          if s in keys and t in keys]}

    @staticmethod
    def _run_node(entity: str, project: str, run_id: str) -> dict[str, Any]:
        return {"id": f"run:{entity}/{project}/{run_id}", "kind": "run", "entity": entity,
                "project": project, "run_id": run_id}
