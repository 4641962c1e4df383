"""A real tracking server (the app under uvicorn on a thread of this process) for the
artifact tests, with its blob store on a local folder or the test S3 server."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import uvicorn

from servers import free_port, wait_for_health
from tracklet.server import ServerSettings, create_app
from tracklet.store.sql.engine import sqlite_url

KEY = "artifact-test-key"


class ThreadServer:
    def __init__(self, db_path: Path, **settings: Any) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.db_url = sqlite_url(db_path)
        values: dict[str, Any] = {"api_keys": [KEY], "heartbeat_timeout": 0, **settings}
        self.app = create_app(ServerSettings(db_url=self.db_url, **values))
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_config=None,
                                log_level="warning", ws="none", lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="artifact-uvicorn",
                                        daemon=True)

    def __enter__(self) -> ThreadServer:
        self._thread.start()
        wait_for_health(self.base_url, alive=self._thread.is_alive)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)
        store = getattr(self.app.state, "artifact_store", None)
        if store is not None:
            store.close()
