"""``/api/v1/artifacts``: artifact collections, versions, files, aliases and lineage.

A version is created by ``POST .../{name}/versions`` with its whole manifest, after its
blobs are uploaded (``/artifact-blobs``); the server refuses a manifest that names a blob
it does not hold (409 with ``details.missing``), so no version is ever visible before all
of its bytes are stored. Posting the same manifest again returns the existing version.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from tracklet.errors import ConflictError
from tracklet.server.artifact_state import ArtifactStore
from tracklet.server.auth import Authorized, CanReadProject, CanReadRun, CanWriteProject
from tracklet.server.responses import respond
from tracklet.server.routes.common import READ_ERRORS, errors
from tracklet.store.artifacts import ArtifactVersionInfo, ManifestEntry

NAME = r"^[A-Za-z0-9_.-]{1,128}$"
MAX_FILES_PAGE = 100_000
MAX_VERSIONS_PAGE = 1000

router = APIRouter(tags=["artifacts"])

Entity = Annotated[str, Path(pattern=NAME)]
Project = Annotated[str, Path(pattern=NAME)]
Name = Annotated[str, Path(pattern=NAME, description="The artifact (collection) name.")]
Alias = Annotated[str, Path(pattern=NAME, description="`latest`, `vN` or an alias.")]


class CommitIn(BaseModel):
    type: str = Field(max_length=64, description="dataset, model, ...")
    entries: list[dict[str, Any]] = Field(
        max_length=1_000_000, description="`{path, digest (sha256), size, md5?, ref?, "
                                          "extra?}` per file")
    digest: str | None = Field(None, max_length=64,
                               description="The manifest digest the client computed; "
                                           "checked against the entries.")
    description: str | None = Field(None, max_length=100_000)
    metadata: dict[str, Any] = Field(default_factory=dict)
    aliases: list[str] = Field(default_factory=list, max_length=100)
    run_id: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]{1,64}$")


class AliasIn(BaseModel):
    version: str = Field(pattern=r"^v\d{1,9}$", description="The version, e.g. `v3`.")


class UsageIn(BaseModel):
    entity: str = Field(pattern=NAME)
    project: str = Field(pattern=NAME)
    run_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")


def _version_json(v: ArtifactVersionInfo) -> dict[str, Any]:
    return v.to_json()


@router.get("/artifacts/{entity}/{project}", summary="Artifact collections of a project",
            description="Each collection with its type and number of versions; `type` "
                        "keeps one type.", responses=READ_ERRORS)
def list_collections(request: Request, entity: Entity, project: Project,
                     caller: CanReadProject, store: ArtifactStore,
                     type: Annotated[str | None, Query(max_length=64)] = None) -> Response:
    items = [c.to_json() for c in store.list_collections(entity, project, type)]
    return respond(request, {"items": items, "next_cursor": None})


@router.post("/artifacts/{entity}/{project}/{name}/versions", status_code=201,
             summary="Commit a version from a manifest",
             description="201 with the new version, or 200 with the existing one when a "
                         "version with the same manifest digest exists. 409 when blobs are "
                         "missing (`details.missing`) or the collection has another type.",
             responses=errors(400, 401, 403, 404, 409, 413, 503))
def commit_version(request: Request, entity: Entity, project: Project, name: Name,
                   body: CommitIn, caller: CanWriteProject, store: ArtifactStore) -> Response:
    entries = [ManifestEntry.from_json(e) for e in body.entries]
    missing = store.missing_for(entity, project, [e.digest for e in entries if e.digest],
                                caller.can_read)
    if missing:
        raise ConflictError(f"{len(missing)} blob(s) of the manifest are not uploaded to "
                            f"{entity}/{project} yet (first: {missing[0]}); upload them, "
                            "then commit again", details={"missing": missing[:1000]})
    version, created = store.commit_version(
        entity, project, name, body.type, entries, description=body.description,
        metadata=body.metadata, aliases=body.aliases, run_id=body.run_id, digest=body.digest)
    return respond(request, {"version": _version_json(version), "created": created},
                   status_code=201 if created else 200)


@router.get("/artifacts/{entity}/{project}/{name}/versions", summary="Versions of an artifact",
            description=f"Oldest first, at most `limit` (at most {MAX_VERSIONS_PAGE}) per "
                        "page; `next_cursor` continues.", responses=READ_ERRORS)
def list_versions(request: Request, entity: Entity, project: Project, name: Name,
                  caller: CanReadProject, store: ArtifactStore,
                  limit: Annotated[int, Query(ge=1, le=MAX_VERSIONS_PAGE)] = 100,
                  cursor: Annotated[str | None, Query(pattern=r"^\d{1,9}$")] = None
                  ) -> Response:
    versions = store.list_versions(entity, project, name)
    start = int(cursor or 0)
    page = versions[start:start + limit]
    following = str(start + limit) if start + limit < len(versions) else None
    return respond(request, {"items": [_version_json(v) for v in page],
                             "next_cursor": following})


@router.get("/artifacts/{entity}/{project}/{name}/versions/{alias}",
            summary="One version by `latest`, `vN` or alias", responses=READ_ERRORS)
def get_version(request: Request, entity: Entity, project: Project, name: Name, alias: Alias,
                caller: CanReadProject, store: ArtifactStore) -> Response:
    return respond(request, _version_json(store.get_version(entity, project, name, alias)))


@router.get("/artifacts/{entity}/{project}/{name}/versions/{alias}/files",
            summary="The manifest of a version",
            description=f"Files sorted by path, at most `limit` (at most {MAX_FILES_PAGE}) "
                        "per page; `next_cursor` continues.", responses=READ_ERRORS)
def list_files(request: Request, entity: Entity, project: Project, name: Name, alias: Alias,
               caller: CanReadProject, store: ArtifactStore,
               limit: Annotated[int, Query(ge=1, le=MAX_FILES_PAGE)] = MAX_FILES_PAGE,
               cursor: Annotated[str | None, Query(pattern=r"^\d{1,9}$")] = None) -> Response:
    files = store.list_files(store.get_version(entity, project, name, alias))
    start = int(cursor or 0)
    page = files[start:start + limit]
    following = str(start + limit) if start + limit < len(files) else None
    return respond(request, {"items": [f.to_json() for f in page], "next_cursor": following})


@router.delete("/artifacts/{entity}/{project}/{name}/versions/{alias}", status_code=204,
               summary="Delete a version",
               description="Its blobs stay until garbage collection (`tracklet gc`).",
               responses=errors(400, 401, 403, 404, 503))
def delete_version(entity: Entity, project: Project, name: Name, alias: Alias,
                   caller: CanWriteProject, store: ArtifactStore) -> Response:
    store.delete_version(store.get_version(entity, project, name, alias))
    return Response(status_code=204)


@router.put("/artifacts/{entity}/{project}/{name}/aliases/{alias}",
            summary="Point an alias at a version",
            description="Aliases are unique in a collection: the alias leaves the version "
                        "that had it.", responses=errors(400, 401, 403, 404, 503))
def set_alias(request: Request, entity: Entity, project: Project, name: Name, alias: Alias,
              body: AliasIn, caller: CanWriteProject, store: ArtifactStore) -> Response:
    version = store.get_version(entity, project, name, body.version)
    return respond(request, _version_json(store.set_alias(version, alias)))


@router.delete("/artifacts/{entity}/{project}/{name}/aliases/{alias}", status_code=204,
               summary="Remove an alias", responses=errors(400, 401, 403, 404, 503))
def remove_alias(entity: Entity, project: Project, name: Name, alias: Alias,
                 caller: CanWriteProject, store: ArtifactStore) -> Response:
    version = store.get_version(entity, project, name, alias)
    store.remove_alias(version, alias)
    return Response(status_code=204)


@router.post("/artifacts/{entity}/{project}/{name}/versions/{alias}/usages", status_code=204,
             summary="Record that a run used a version (lineage)",
             description="Needs read access to the artifact and write access to the run's "
                         "project.", responses=errors(400, 401, 403, 404, 503))
def record_usage(entity: Entity, project: Project, name: Name, alias: Alias, body: UsageIn,
                 caller: Authorized, store: ArtifactStore) -> Response:
    caller.require_write(body.entity, body.project)  # a share token: 401 before anything
    caller.require_read(entity, project)
    version = store.get_version(entity, project, name, alias)
    store.record_usage(version, body.entity, body.project, body.run_id)
    return Response(status_code=204)


@router.get("/artifacts/{entity}/{project}/{name}/versions/{alias}/lineage",
            summary="Lineage graph around a version",
            description="Nodes (`kind`: artifact or run) and edges `run -> artifact` "
                        "(`logged`) and `artifact -> run` (`used`), a few hops each way; "
                        "nodes of projects the caller may not read are left out.",
            responses=READ_ERRORS)
def lineage(request: Request, entity: Entity, project: Project, name: Name, alias: Alias,
            caller: CanReadProject, auth: Authorized, store: ArtifactStore) -> Response:
    graph = store.lineage(store.get_version(entity, project, name, alias))
    readable: dict[tuple[str, str], bool] = {}

    def visible(node: dict[str, Any]) -> bool:
        key = (node["entity"], node["project"])
        if key not in readable:
            readable[key] = auth.can_read(*key)
        return readable[key]

    nodes = [n for n in graph["nodes"] if visible(n)]
    keep = {n["id"] for n in nodes}
    edges = [e for e in graph["edges"] if e["source"] in keep and e["target"] in keep]
    return respond(request, {"nodes": nodes, "edges": edges})


@router.get("/runs/{entity}/{project}/{run_id}/artifacts",
            summary="Artifacts a run logged and used", responses=READ_ERRORS)
def run_artifacts(request: Request, entity: Entity, project: Project,
                  run_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")],
                  caller: CanReadRun, auth: Authorized, store: ArtifactStore) -> Response:
    logged, used = store.run_artifacts(entity, project, run_id)
    return respond(request, {
        "logged": [_version_json(v) for v in logged],
        "used": [_version_json(v) for v in used if auth.can_read(v.entity, v.project)]})
