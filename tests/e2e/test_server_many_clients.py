"""Many clients streaming to one tracking server at once: no errors, no lost points.

``CLIENTS`` threads (50), each with its own ``HttpShipper`` (its own HTTP connection
pool), stream one run each to a real ``tracklet server`` process (SQLite in the test's
tmp dir) for ``SECONDS``: a batch of ``BATCH`` steps of two metrics, then a short pause,
until the time is up, then the run's finish record. Retries are off (one attempt per
request), so any refused, failed or timed-out request counts as an error instead of being
hidden by a retry. Afterwards every step of every run is read back through
``tracklet.Api`` and must be there exactly once with its exact values.

The issue asks for 60 s of streaming; the test streams for 10 s by default to stay well
under a minute. ``TRACKLET_TEST_STREAM_SECONDS=60`` (and ``TRACKLET_TEST_STREAM_CLIENTS``)
run the full check by hand.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from server_support import KEY, ServerProcess

import tracklet
from servers import free_port
from tracklet.core import records as r
from tracklet.core.segment import SegmentHeader
from tracklet.shipping.client import RetryPolicy
from tracklet.shipping.http import HttpShipper

SECONDS = float(os.environ.get("TRACKLET_TEST_STREAM_SECONDS", "10"))
CLIENTS = int(os.environ.get("TRACKLET_TEST_STREAM_CLIENTS", "50"))
BATCH = 100
PAUSE = 0.2  # between batches of one client: pacing, not synchronisation
ENTITY, PROJECT = "team", "many"


def value(client: int, step: int, k: int) -> float:
    """Exact in float64 and different for every client, step and key."""
    return client * 1000.0 + step * 0.5 + k / 4.0


class Client(threading.Thread):
    def __init__(self, index: int, base_url: str, start: threading.Barrier,
                 deadline_after: float) -> None:
        super().__init__(name=f"client-{index}", daemon=True)
        self.index = index
        self.header = SegmentHeader(f"seg-{index:03d}", f"run-{index:03d}", PROJECT, ENTITY)
        self.shipper = HttpShipper(base_url, KEY, retry=RetryPolicy(attempts=1),
                                   timeout=30.0)
        self.start_barrier = start
        self.deadline_after = deadline_after
        self.steps = 0
        self.requests = 0
        self.errors: list[str] = []

    def run(self) -> None:
        try:
            self.start_barrier.wait(30)
            deadline = time.monotonic() + self.deadline_after
            seq, now = 1, time.time()
            self._ship([r.RunStart(seq, now, self.header.run_id, PROJECT, ENTITY,
                                   f"client {self.index}")])
            while time.monotonic() < deadline:
                batch = []
                for _ in range(BATCH):
                    seq += 1
                    batch.append(r.History(seq, time.time(), self.steps,
                                           {"loss": value(self.index, self.steps, 0),
                                            "acc": value(self.index, self.steps, 1)}))
                    self.steps += 1
                self._ship(batch)
                time.sleep(PAUSE)
            self._ship([r.RunFinish(seq + 1, time.time(), "finished", 0)])
        except Exception as exc:
            self.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            self.shipper.close()

    def _ship(self, batch: list[r.Record]) -> None:
        self.requests += 1
        acked = self.shipper.ship(self.header, batch)
        if acked != batch[-1].seq:
            raise AssertionError(f"the server acked {acked}, not {batch[-1].seq}")


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_fifty_clients_stream_at_once_without_errors_or_lost_points(tmp_path: Path) -> None:
    with ServerProcess(tmp_path / "server.db", free_port()) as server:
        barrier = threading.Barrier(CLIENTS)
        clients = [Client(i, server.base_url, barrier, SECONDS) for i in range(CLIENTS)]
        began = time.monotonic()
        for client in clients:
            client.start()
        for client in clients:
            client.join(SECONDS + 60)
        streamed = time.monotonic() - began
        assert not any(c.is_alive() for c in clients), "a client hung"
        errors = {c.index: c.errors for c in clients if c.errors}
        assert errors == {}, f"{len(errors)} clients failed: {errors}\n{server.log()}"
        assert all(c.steps > 0 for c in clients)
        assert server.proc is not None and server.proc.poll() is None, server.log()

        with tracklet.Api(server.base_url, api_key=KEY) as api:
            runs = {run.id: run for run in api.runs(f"{ENTITY}/{PROJECT}", per_page=100)}
            assert sorted(runs) == sorted(c.header.run_id for c in clients)
            for client in clients:
                run = runs[client.header.run_id]
                assert run.state == "finished"
                rows = list(run.scan_history(keys=["loss", "acc"]))
                assert [row["_step"] for row in rows] == list(range(client.steps)), \
                    client.header.run_id
                expected = [(value(client.index, s, 0), value(client.index, s, 1))
                            for s in range(client.steps)]
                assert [(row["loss"], row["acc"]) for row in rows] == expected
        total = sum(c.steps for c in clients)
        print(f"\n{CLIENTS} clients, {streamed:.1f} s, {sum(c.requests for c in clients)} "
              f"requests, {total} steps ({2 * total} points), all read back exactly")
