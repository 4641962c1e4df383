"""Import TensorBoard logs: every directory of tfevents files becomes a run.

A *run* is the shallowest directory under LOGDIR that holds event files, as TensorBoard
shows it. Event files in its subdirectories belong to it too, under their own keys:

- ``SummaryWriter.add_scalars("acc", {"a": ...})`` writes tag ``acc`` into ``acc_a/``:
  imported as ``acc/a``;
- ``add_hparams`` writes into a subdirectory named after a timestamp: its hyperparameters
  become the run's config and its metrics keep their tags (``hparam/acc``);
- any other subdirectory ``sub`` prefixes its tags: ``sub/tag``.

Scalars become history points, histograms ``Histogram`` media values, images image media
values; each keeps its step and the wall time it was written at. Other kinds (text,
audio, meshes, PR curves) are counted and skipped.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tracklet.core.values import check_key
from tracklet.importers.segment import ImportedRun, ImportResult, ImportWriter

EVENTS_MARK = "tfevents"

ImageSink = Callable[[str, list[bytes]], dict[str, Any]]
"""Stores the encoded images of one summary for a run; returns their media value."""


@dataclass
class TensorBoardRun:
    """One run found under a log directory: its folder and all its event files."""

    path: Path
    name: str
    files: list[Path]


def _require_tensorboard() -> None:
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        raise ImportError("reading TensorBoard logs needs the tensorboard package: pip "
                          "install 'tracklet[tensorboard]'") from None


def find_runs(logdir: Path) -> list[TensorBoardRun]:
    """The runs under ``logdir`` (which may itself be one), by relative path."""
    if not logdir.is_dir():
        raise FileNotFoundError(f"{logdir} is not a directory: pass the log directory you "
                                "gave SummaryWriter (or its parent)")
    by_dir: dict[Path, list[Path]] = {}
    for path in sorted(logdir.rglob(f"*{EVENTS_MARK}*")):
        if path.is_file() and not path.name.startswith("."):
            by_dir.setdefault(path.parent, []).append(path)
    runs: list[TensorBoardRun] = []
    for folder in sorted(by_dir, key=lambda p: (len(p.parts), str(p))):
        owner = next((r for r in runs if r.path in folder.parents), None)
        if owner is not None:
            owner.files.extend(by_dir[folder])
            continue
        name = str(folder.relative_to(logdir)) if folder != logdir else logdir.resolve().name
        runs.append(TensorBoardRun(folder, name, list(by_dir[folder])))
    return runs


def import_logdir(logdir: Path, root: Path, *, project: str, entity: str,
                  images: ImageSink | None = None) -> Iterator[ImportResult]:
    """Write one segment per run under ``logdir`` into the data directory ``root``."""
    _require_tensorboard()
    for found in find_runs(logdir):
        yield _import_run(found, root, project=project, entity=entity, images=images)


def _run_id(path: Path) -> str:
    return "tb-" + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]


def _import_run(found: TensorBoardRun, root: Path, *, project: str, entity: str,
                images: ImageSink | None) -> ImportResult:
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

    run = ImportedRun(run_id=_run_id(found.path), project=project, entity=entity,
                      name=found.name[:128],
                      metadata={"import": {"source": "tensorboard",
                                           "path": str(found.path.resolve())}})
    writer = ImportWriter(root, run)
    skipped: Counter[str] = Counter()
    last = 0.0
    try:
        for path in found.files:
            naming = _Naming(path.parent.relative_to(found.path))
            batch: tuple[float, int, dict[str, float]] | None = None
            for event in EventFileLoader(str(path)).Load():
                last = max(last, event.wall_time)
                if not event.HasField("summary"):
                    continue
                for value in event.summary.value:
                    kind = value.metadata.plugin_data.plugin_name
                    if kind == "scalars":
                        key = naming.key(value.tag)
                        if key is None:
                            skipped["invalid tag"] += 1
                            continue
                        number = _scalar(value)
                        if (batch is not None and batch[:2] == (event.wall_time, event.step)
                                and key not in batch[2]):
                            batch[2][key] = number
                        else:
                            if batch is not None:
                                writer.history(*batch)
                            batch = (event.wall_time, event.step, {key: number})
                    elif kind == "histograms":
                        key = naming.key(value.tag)
                        if key is None:
                            skipped["invalid tag"] += 1
                            continue
                        histogram = _histogram(value)
                        if histogram is None:
                            skipped["empty histogram"] += 1
                        else:
                            writer.media(event.wall_time, event.step, {key: histogram})
                    elif kind == "images" and images is not None:
                        key = naming.key(value.tag)
                        if key is None:
                            skipped["invalid tag"] += 1
                            continue
                        media = images(run.run_id, _image_bytes(value))
                        writer.media(event.wall_time, event.step, {key: media})
                    elif kind == "hparams":
                        hparams = _hparams(value)
                        if hparams is not None:
                            naming.hparams = True
                            writer.config(event.wall_time, hparams)
                    else:
                        skipped[kind or "untyped"] += 1
            if batch is not None:
                writer.history(*batch)
    except BaseException:
        writer.abort()
        raise
    writer.finish(last)
    return ImportResult(run, writer.close(), writer.points, skipped)


class _Naming:
    """Turns the tags of one event folder into metric keys (see the module docstring)."""

    def __init__(self, sub: Path) -> None:
        self.sub = "" if sub == Path(".") else sub.as_posix()
        self.hparams = False  # the folder holds add_hparams' session: keep its tags

    def key(self, tag: str) -> str | None:
        key = tag
        if self.sub and not self.hparams:
            leaf = self.sub.rsplit("/", 1)[-1]
            if leaf.startswith(f"{tag}_") and len(leaf) > len(tag) + 1:
                parent = self.sub[: -len(leaf)]
                key = f"{parent}{tag}/{leaf[len(tag) + 1:]}"
            else:
                key = f"{self.sub}/{tag}"
        try:
            return check_key(key.lstrip("_") or key, what="TensorBoard tag")
        except (TypeError, ValueError):
            return None


def _scalar(value: Any) -> float:
    from tensorboard.util import tensor_util

    return float(tensor_util.make_ndarray(value.tensor).reshape(-1)[0])


def _histogram(value: Any) -> dict[str, Any] | None:
    """TensorBoard's ``[left, right, count]`` buckets as W&B histogram JSON."""
    from tensorboard.util import tensor_util

    buckets = tensor_util.make_ndarray(value.tensor)
    if buckets.size == 0 or buckets.ndim != 2 or buckets.shape[1] != 3:
        return None
    lefts, rights, counts = buckets[:, 0], buckets[:, 1], buckets[:, 2]
    edges = [float(x) for x in lefts] + [float(rights[-1])]
    if not all(math.isfinite(e) for e in edges):
        return None
    values = [int(c) if float(c).is_integer() else float(c) for c in counts]
    return {"_type": "histogram", "values": values, "bins": edges}


def _image_bytes(value: Any) -> list[bytes]:
    """The encoded images of an image summary (``[width, height, image...]``)."""
    from tensorboard.util import tensor_util

    items = tensor_util.make_ndarray(value.tensor).reshape(-1)
    return [bytes(item) for item in items[2:]]


def _hparams(value: Any) -> dict[str, Any] | None:
    from tensorboard.plugins.hparams import metadata as hp

    content = value.metadata.plugin_data.content
    if value.tag != hp.SESSION_START_INFO_TAG:
        return None
    info = hp.parse_session_start_info_plugin_data(content)
    config: dict[str, Any] = {}
    for name, item in sorted(info.hparams.items()):  # a protobuf map has no fixed order
        kind = item.WhichOneof("kind")
        if kind == "number_value":
            number = item.number_value
            config[name] = int(number) if number.is_integer() else number
        elif kind == "string_value":
            config[name] = item.string_value
        elif kind == "bool_value":
            config[name] = item.bool_value
    return config
