"""The tracking server: ``create_app(settings)`` under uvicorn (``tracklet server``)."""

from __future__ import annotations

from tracklet.server.app import create_app
from tracklet.server.settings import ServerSettings

__all__ = ["ServerSettings", "create_app"]
