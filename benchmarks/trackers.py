"""Each tracker behind one small adapter: init, log function, finish, read-back, disk bytes.

Imported by workload.py in the child process (any of the benchmark interpreters) and by
harness.py in the parent, so only the standard library is imported at module level; each
tracker is imported inside its adapter's init().
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

MODULES = {
    "null": None,
    "tracklet": "tracklet",
    "wandb": "wandb",
    "mlflow": "mlflow",
    "trackio": "trackio",
}


def tree_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


class Null:
    """Builds the dict and calls a no-op: the floor of the measuring loop itself."""

    module: str | None = None  # imported before init() is timed (import is its own figure)

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp

    def init(self, config: dict[str, Any]) -> None:
        pass

    def log_fn(self) -> Any:
        def log(d: dict[str, float]) -> None:
            pass

        return log

    def finish(self) -> None:
        pass

    def read_back(self, keys: list[str]) -> int | None:
        return None

    def run_bytes(self) -> int:
        return tree_bytes(self.tmp)


class Tracklet(Null):
    module = "tracklet"

    def init(self, config: dict[str, Any]) -> None:
        import tracklet

        self.mod = tracklet
        self.run = tracklet.init(project="bench", dir=str(self.tmp), config=config)

    def log_fn(self) -> Any:
        return self.run.log

    def finish(self) -> None:
        self.run.finish()

    def read_back(self, keys: list[str]) -> int | None:
        api = self.mod.Api(str(self.tmp))
        r = api.run(f"{self.run.entity}/{self.run.project}/{self.run.id}")
        return sum(1 for row in r.scan_history() for k in row if not k.startswith("_"))


class Wandb(Null):
    """Offline mode; defaults kept (system stats sampling, console capture, wandb-core)."""

    module = "wandb"

    def init(self, config: dict[str, Any]) -> None:
        import wandb

        self.run = wandb.init(project="bench", dir=str(self.tmp), config=config, mode="offline")

    def log_fn(self) -> Any:
        return self.run.log

    def finish(self) -> None:
        self.run.finish()

    def _run_dir(self) -> Path:
        return next((self.tmp / "wandb").glob("offline-run-*"))

    def read_back(self, keys: list[str]) -> int | None:
        """wandb has no read API for offline runs: parse the .wandb leveldb-style log."""
        from wandb.proto import wandb_internal_pb2 as pb

        data = next(self._run_dir().glob("*.wandb")).read_bytes()
        block, pos, buf, n = 32768, 7, b"", 0  # 7-byte file header ":W&B" 0xBEE1 v0
        while pos + 7 <= len(data):
            if block - pos % block < 7:  # too little room left for a header: padding
                pos += block - pos % block
                continue
            _crc, length, kind = struct.unpack_from("<IHB", data, pos)
            pos += 7
            buf += data[pos : pos + length]
            pos += length
            if kind in (1, 4):  # FULL or LAST
                rec = pb.Record()
                rec.ParseFromString(buf)
                buf = b""
                if rec.WhichOneof("record_type") == "history":
                    n += sum(
                        1
                        for it in rec.history.item
                        if not (it.key or "/".join(it.nested_key)).startswith("_")
                    )
        return n

    def run_bytes(self) -> int:
        return tree_bytes(self._run_dir())


class Mlflow(Null):
    """SQLite backend store; synchronous log_metrics (the default)."""

    module = "mlflow"

    def init(self, config: dict[str, Any]) -> None:
        import mlflow

        self.mod = mlflow
        mlflow.set_tracking_uri(f"sqlite:///{self.tmp / 'mlflow.db'}")
        mlflow.set_experiment("bench")
        self.run = mlflow.start_run()
        mlflow.log_params(config)

    def log_fn(self) -> Any:
        log_metrics = self.mod.log_metrics
        step = iter(range(1 << 62))

        def log(d: dict[str, float]) -> None:
            log_metrics(d, step=next(step))

        return log

    def finish(self) -> None:
        self.mod.end_run()

    def read_back(self, keys: list[str]) -> int | None:
        client = self.mod.tracking.MlflowClient()
        return sum(len(client.get_metric_history(self.run.info.run_id, k)) for k in keys)


class Trackio(Null):
    """Local SQLite storage under TRACKIO_DIR (set by the parent to TMPDIR/trackio)."""

    module = "trackio"

    def init(self, config: dict[str, Any]) -> None:
        import trackio

        self.mod = trackio
        self.run = trackio.init(project="bench", name="bench-run", config=config)

    def log_fn(self) -> Any:
        return self.mod.log

    def finish(self) -> None:
        self.mod.finish()

    def read_back(self, keys: list[str]) -> int | None:
        from trackio.sqlite_storage import SQLiteStorage

        rows = SQLiteStorage.get_logs(project="bench", run="bench-run")
        return sum(1 for row in rows for k in row if k in keys)


ADAPTERS = {
    "null": Null,
    "tracklet": Tracklet,
    "wandb": Wandb,
    "mlflow": Mlflow,
    "trackio": Trackio,
}


def env_for(tracker: str, tmp: Path) -> dict[str, str]:
    """Environment the parent gives the child: every tracker writes only under tmp."""
    env = {"HF_HUB_OFFLINE": "1", "TRACKLET_DIR": str(tmp)}
    if tracker == "wandb":
        env |= {
            "WANDB_MODE": "offline",
            "WANDB_DIR": str(tmp),
            "WANDB_SILENT": "true",
            "WANDB_CACHE_DIR": str(tmp / ".cache"),
            "WANDB_CONFIG_DIR": str(tmp / ".config"),
            "WANDB_DATA_DIR": str(tmp / ".data"),
        }
    if tracker == "trackio":
        env |= {"TRACKIO_DIR": str(tmp / "trackio"), "GRADIO_ANALYTICS_ENABLED": "False"}
    return env
