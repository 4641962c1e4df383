"""What several route modules share: error responses for OpenAPI, dependencies, limits."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends

from tracklet.server.deps import get_settings, get_store
from tracklet.server.schemas import ErrorEnvelope
from tracklet.server.settings import ServerSettings
from tracklet.store.base import MetadataStore

Store = Annotated[MetadataStore, Depends(get_store)]
Settings = Annotated[ServerSettings, Depends(get_settings)]


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these error statuses, all in the error envelope."""
    text = {400: "Invalid request (bad parameter or body).",
            401: "Missing or wrong API key.",
            403: "Not allowed: a viewer's write, a missing CSRF token, not an admin.",
            404: "No such run, project or route.",
            409: "The name is taken.",
            413: "Body or batch over the documented limit.",
            415: "Body in a content type or encoding this endpoint does not read.",
            503: "The database is unavailable; retry later."}
    return {s: {"model": ErrorEnvelope, "description": text[s]} for s in statuses}


READ_ERRORS = errors(400, 401, 404, 503)
