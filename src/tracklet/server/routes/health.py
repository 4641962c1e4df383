"""``GET /api/v1/health``: the process is up (no key needed, touches no database)."""

from __future__ import annotations

from fastapi import APIRouter

from tracklet.server.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, summary="Liveness check")
def health() -> Health:
    return Health(status="ok")
