"""The web dashboard's built bundle, served at ``/`` beside the API.

``npm run build`` in ``web/`` writes the bundle to ``tracklet/server/webui`` (gitignored;
``make demo`` and ``make test`` build it). Any GET outside ``/api/`` is answered here: a
file of the bundle when one has that path (hashed assets are cached for a year), else
``index.html``, so that client-side routes such as ``/alice/mnist/runs/x1`` load the app
(SPA fallback). The route never matches ``/api/...``: unknown API paths keep their JSON
404, whatever routers are added after it. Without a built bundle, ``/`` says how to build
it. ``TRACKLET_WEB_DIST`` points at another build folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send

WEB_DIST_ENV = "TRACKLET_WEB_DIST"
API_ROOT = "/api/"
IMMUTABLE = "public, max-age=31536000, immutable"

NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Tracklet</title></head><body style="font-family:sans-serif;max-width:40em;margin:3em auto">
<h1>Tracklet</h1><p>The API is up at <a href="/api/v1/docs">/api/v1</a>, but the web
dashboard has not been built. In a checkout of Tracklet run <code>make web</code> (or
<code>npm ci &amp;&amp; npm run build</code> in <code>web/</code>), then reload.</p>
</body></html>"""


def web_dist() -> Path:
    """The folder holding the built bundle (it may not exist)."""
    override = os.environ.get(WEB_DIST_ENV)
    return Path(override) if override else Path(__file__).parent / "webui"


class DashboardRoute(BaseRoute):
    """GET/HEAD of any path outside ``/api/``: a bundle file or the app's ``index.html``."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        path: str = scope["path"]
        if path.startswith(API_ROOT) or path == API_ROOT.rstrip("/"):
            return Match.NONE, {}
        if scope["method"] not in ("GET", "HEAD"):
            return Match.NONE, {}  # other methods: the app's 404 / 405 as usual
        return Match.FULL, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = self.respond(Request(scope).url.path)
        await response(scope, receive, send)

    def respond(self, path: str) -> Response:
        root = (self.root or web_dist()).resolve()
        index = root / "index.html"
        if not index.is_file():
            return HTMLResponse(NOT_BUILT, status_code=200,
                                headers={"Cache-Control": "no-store"})
        relative = path.lstrip("/")
        if relative:
            candidate = (root / relative).resolve()
            if candidate.is_relative_to(root) and candidate.is_file():
                cache = IMMUTABLE if relative.startswith("assets/") else "no-cache"
                return FileResponse(candidate, headers={"Cache-Control": cache})
            if relative.startswith("assets/"):
                return Response("no such file in the dashboard bundle", status_code=404,
                                media_type="text/plain")
        return FileResponse(index, headers={"Cache-Control": "no-cache"})
