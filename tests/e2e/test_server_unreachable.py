"""Online mode with no server at ``init``, and one that comes up before the run ends.

``tests/sdk/test_online.py`` covers a server that stays down (one warning, the finish
report, ``tracklet sync --host`` uploading everything exactly once). What it leaves out:
a separate training process whose server is unreachable at ``init`` and appears later —
the run's own follower must then ship everything, with no sync, and the outage must have
cost exactly one warning.
"""

from __future__ import annotations

import time
from pathlib import Path

from e2e_support import HELPERS, child_env, wait_until, warning_lines, workload
from server_support import KEY, ScriptChild, ServerProcess

import tracklet
from servers import free_port

STEPS = 3000


def test_server_down_at_init_then_up_gets_everything_without_sync(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "server.db", free_port())  # not started yet
    env = child_env(tmp_path / "client", TRACKLET_MODE="online",
                    TRACKLET_BASE_URL=server.base_url, TRACKLET_API_KEY=KEY)
    child = ScriptChild(HELPERS / "online_train.py",
                        ["--steps", str(STEPS), "--wait-go", "--finish-timeout", "30"],
                        env=env, cwd=tmp_path, stdin=True)
    try:
        path = child.expect_prefix("run ", 30).split()[1]
        began = time.monotonic()
        child.expect_prefix("loop done", 30)  # every step logged with nothing listening
        assert time.monotonic() - began < 15
        # the follower has tried the server and warned once before the server comes up
        wait_until(lambda: warning_lines(child.stderr), 30, "the warning about the server")
        server.start()
        child.send("go\n")
        finished = child.expect_prefix("finished", 60)
        assert child.wait(30) == 0, child.describe()
        pending, written = map(int, finished.split()[1:])
        assert pending == 0 and written > STEPS
        warnings = warning_lines(child.stderr)
        assert len(warnings) == 1 and "cannot ship records yet" in warnings[0], warnings
        assert server.base_url in warnings[0]
        with tracklet.Api(server.base_url, api_key=KEY) as api:
            run = api.run(path)
            assert run.state == "finished"
            rows = list(run.scan_history(keys=["loss", "acc"]))
        assert [row["_step"] for row in rows] == list(range(STEPS))
        assert all((row["loss"], row["acc"]) == (workload.metric_value(row["_step"], 0),
                                                 workload.metric_value(row["_step"], 1))
                   for row in rows)
    finally:
        child.close()
        server.stop()
