"""A real tracking server (the app under uvicorn on a thread of this process) for the
artifact tests, with its blob store on a local folder or the test S3 server: the shared
``servers.ThreadServer`` with this suite's key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import servers

KEY = "artifact-test-key"


class ThreadServer(servers.ThreadServer):
    def __init__(self, db_path: Path, **settings: Any) -> None:
        super().__init__(db_path, **{"api_keys": [KEY], **settings})
