"""Child process for the resume test: log a folder as an artifact to a server.

argv: BASE_URL KEY DATA_DIR CLIENT_DIR SLOW_SECONDS. With SLOW_SECONDS > 0 every upload
chunk waits that long first (fault injection: a slow network), so the test can kill the
process mid-upload. Prints one JSON line with what was sent.
"""

from __future__ import annotations

import json
import sys
import time

import tracklet
from tracklet.sdk.artifacts import http_backend

base_url, key, data, client_dir, slow = sys.argv[1:6]
delay = float(slow)
if delay > 0:
    real_put = http_backend.HttpBackend._put

    def slow_put(self, url, offset, size, chunk):  # type: ignore[no-untyped-def]
        time.sleep(delay)  # fault injection: a slow link
        return real_put(self, url, offset, size, chunk)

    http_backend.HttpBackend._put = slow_put  # type: ignore[method-assign]

run = tracklet.init(project="proj", entity="alice", dir=client_dir, mode="online",
                    settings={"base_url": base_url, "api_key": key, "system_metrics": False,
                              "console_capture": False})
art = tracklet.Artifact("big", "dataset")
art.add_dir(data)
run.log_artifact(art)
art.wait()
backend = art._context.backend  # type: ignore[union-attr]
print(json.dumps({"version": art.version, "transferred_files": art.stats.transferred_files,
                  "reused_files": art.stats.reused_files,
                  "sent_bytes": backend.sent_bytes}), flush=True)
run.finish()
