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
from collections.abc import Callable, Iterable, Iterator, Sequence
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
            for ts, step, kind, tag, payload in _values(path):
                last = max(last, ts)
                if kind == "hparams":
                    naming.hparams = True
                    writer.config(ts, payload)
                    continue
                if kind == "images" and images is None:
                    skipped["images (pip install 'tracklet[media]' to import them)"] += 1
                    continue
                if kind not in ("scalars", "histograms", "images"):
                    skipped[kind or "untyped"] += 1
                    continue
                key = naming.key(tag)
                if key is None:
                    skipped["invalid tag"] += 1
                elif kind == "scalars":
                    if batch is not None and batch[:2] == (ts, step) and key not in batch[2]:
                        batch[2][key] = payload
                    else:
                        if batch is not None:
                            writer.history(*batch)
                        batch = (ts, step, {key: payload})
                elif payload is None:
                    skipped[f"empty {kind}"] += 1
                elif kind == "histograms":
                    writer.media(ts, step, {key: payload})
                elif images is not None:
                    writer.media(ts, step, {key: images(run.run_id, payload)})
            if batch is not None:
                writer.history(*batch)
    except BaseException:
        writer.abort()
        raise
    writer.finish(last)
    return ImportResult(run, writer.close(), writer.points, skipped)


def _values(path: Path) -> Iterator[tuple[float, int, str, str, Any]]:
    """``(wall time, step, kind, tag, value)`` of every summary value in an event file.

    Reads the events as written (TensorBoard's compatibility layer, which rewrites every
    legacy value into a tensor first, costs ten times the reading): the legacy forms
    SummaryWriter writes (``simple_value``, ``histo``, ``image``) and the tensor forms of
    TensorFlow 2, whose kind (plugin) only the first value of a tag names.
    """
    from tensorboard.backend.event_processing.event_file_loader import LegacyEventFileLoader

    plugins: dict[str, str] = {}
    for event in LegacyEventFileLoader(str(path)).Load():
        if not event.HasField("summary"):
            continue
        ts, step = event.wall_time, event.step
        for value in event.summary.value:
            tag = value.tag
            plugin = value.metadata.plugin_data.plugin_name
            if plugin:
                plugins.setdefault(tag, plugin)
            field = value.WhichOneof("value")
            if field == "simple_value":
                yield ts, step, "scalars", tag, float(value.simple_value)
            elif field == "histo":
                yield ts, step, "histograms", tag, _legacy_histogram(value.histo)
            elif field == "image":
                yield ts, step, "images", tag, [bytes(value.image.encoded_image_string)]
            elif plugin == "hparams":
                hparams = _hparams(value)
                if hparams is not None:
                    yield ts, step, "hparams", tag, hparams
            elif field == "tensor":
                kind = plugins.get(tag, "")
                if kind == "scalars":
                    yield ts, step, kind, tag, _scalar(value)
                elif kind == "histograms":
                    yield ts, step, kind, tag, _histogram(value)
                elif kind == "images":
                    yield ts, step, kind, tag, _image_bytes(value)
                else:
                    yield ts, step, kind, tag, None


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
    tensor = value.tensor
    if len(tensor.float_val) == 1:  # what SummaryWriter's scalars migrate to: read directly
        return float(tensor.float_val[0])
    if len(tensor.double_val) == 1:
        return float(tensor.double_val[0])
    from tensorboard.util import tensor_util

    return float(tensor_util.make_ndarray(tensor).reshape(-1)[0])


def _legacy_histogram(histo: Any) -> dict[str, Any] | None:
    """A ``HistogramProto`` (right bucket edges, counts, min and max) as W&B histogram
    JSON: the first bucket starts at the minimum, the last ends at the maximum."""
    limits, counts = list(histo.bucket_limit), list(histo.bucket)
    if not counts or len(limits) != len(counts):
        return None
    lefts = [histo.min, *limits[:-1]]
    return _histogram_json(zip(lefts, [*limits[:-1], histo.max], counts))


def _histogram(value: Any) -> dict[str, Any] | None:
    """TensorFlow 2's ``[left, right, count]`` buckets as W&B histogram JSON."""
    from tensorboard.util import tensor_util

    buckets = tensor_util.make_ndarray(value.tensor)
    if buckets.size == 0 or buckets.ndim != 2 or buckets.shape[1] != 3:
        return None
    return _histogram_json(buckets.tolist())


def _histogram_json(buckets: Iterable[Sequence[float]]) -> dict[str, Any] | None:
    """Buckets ``(left, right, count)`` as ``{"_type": "histogram", "values", "bins"}``,
    without the empty zero-width buckets SummaryWriter pads its histograms with."""
    kept = [(float(left), float(right), count) for left, right, count in buckets
            if left != right or count]
    if not kept:
        return None
    bins = [left for left, _, _ in kept] + [kept[-1][1]]
    if not all(math.isfinite(e) for e in bins):
        return None
    values = [int(c) if float(c).is_integer() else float(c) for _, _, c in kept]
    return {"_type": "histogram", "values": values, "bins": bins}


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
