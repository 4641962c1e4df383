"""What endpoints get from the app: its settings and its store (kept on ``app.state`` by
the lifespan, never in module globals)."""

from __future__ import annotations

from typing import cast

from starlette.requests import Request

from tracklet.server.settings import ServerSettings
from tracklet.store.accounts import AccountStore
from tracklet.store.base import MetadataStore


def get_settings(request: Request) -> ServerSettings:
    return cast(ServerSettings, request.app.state.settings)


def get_store(request: Request) -> MetadataStore:
    return cast(MetadataStore, request.app.state.store)


def get_accounts(request: Request) -> AccountStore:
    return cast(AccountStore, request.app.state.accounts)
