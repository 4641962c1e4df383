"""The artifact store, blob store and upload folder of an app, opened on first use and
kept on ``app.state`` (never in module globals)."""

from __future__ import annotations

import hashlib
import tempfile
import threading
from pathlib import Path
from typing import Annotated, cast

from fastapi import Depends
from starlette.requests import Request

from tracklet.server.settings import ServerSettings
from tracklet.store.blobs.base import BlobStore
from tracklet.store.sql.artifacts import SqlArtifactStore

_opening = threading.Lock()


def _settings(request: Request) -> ServerSettings:
    return cast(ServerSettings, request.app.state.settings)


def get_artifact_store(request: Request) -> SqlArtifactStore:
    state = request.app.state
    found = getattr(state, "artifact_store", None)
    if found is None:
        with _opening:
            found = getattr(state, "artifact_store", None)
            if found is None:
                found = state.artifact_store = SqlArtifactStore(_settings(request).db_url)
    return cast(SqlArtifactStore, found)


def get_blob_store(request: Request) -> BlobStore:
    state = request.app.state
    found = getattr(state, "blob_store", None)
    if found is None:
        from tracklet.store.blobs import open_blob_store

        settings = _settings(request)
        with _opening:
            found = getattr(state, "blob_store", None)
            if found is None:
                found = state.blob_store = open_blob_store(
                    settings.blobs_uri, endpoint_url=settings.s3_endpoint_url or None)
    return cast(BlobStore, found)


def upload_dir(settings: ServerSettings, blobs: BlobStore) -> Path:
    """Where partial uploads wait: ``upload_dir``, else beside a local blob store, else a
    folder of the system's temporary directory named after the blob store."""
    if settings.upload_dir:
        path = Path(settings.upload_dir)
    else:
        from tracklet.store.blobs.local import LocalBlobStore

        if isinstance(blobs, LocalBlobStore):
            path = blobs.root / "uploads"
        else:
            tag = hashlib.sha256(blobs.uri.encode()).hexdigest()[:12]
            path = Path(tempfile.gettempdir()) / f"tracklet-uploads-{tag}"
    path.mkdir(parents=True, exist_ok=True)
    return path


ArtifactStore = Annotated[SqlArtifactStore, Depends(get_artifact_store)]
Blobs = Annotated[BlobStore, Depends(get_blob_store)]
