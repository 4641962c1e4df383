"""Import MLflow experiments: every run of every (chosen) experiment becomes a run.

Read through MLflow's own client, so any tracking URI MLflow reads works: a ``sqlite:///``
or other database store, an ``./mlruns`` folder, or an ``http(s)://`` tracking server.

- the experiment is the project (its name with characters a project name cannot hold
  replaced by ``-``), unless a project is given;
- the run keeps its MLflow id, name, start and end times and status;
- params become config (MLflow keeps them as strings: ``"0.1"`` becomes 0.1, ``"32"`` 32,
  ``"True"`` True, ``"None"`` None, anything else stays a string);
- every metric point keeps its step and timestamp;
- user tags become tags (``key=value``, or ``key`` for an empty value) and are kept whole
  in the run's metadata under ``mlflow_tags``; the note becomes the run's notes; the
  parent run of a nested run becomes the group.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from tracklet.core.values import MAX_TAG_LENGTH
from tracklet.importers.segment import ImportedRun, ImportResult, ImportWriter, project_name

STATES = {"FINISHED": "finished", "FAILED": "failed", "KILLED": "killed"}
PAGE = 1000
_INT = re.compile(r"^[-+]?\d+$")
_FLOAT = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def _client(uri: str) -> Any:
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise ImportError("reading MLflow runs needs MLflow's client: pip install "
                          "'tracklet[mlflow]'") from None
    return MlflowClient(tracking_uri=uri)


def param_value(text: str) -> Any:
    """An MLflow param (always a string) as the value it was most likely logged as."""
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return {"True": True, "False": False, "None": None}.get(text, text)


def import_tracking(uri: str, root: Path, *, entity: str, project: str | None = None,
                    experiments: Sequence[str] = ()) -> Iterator[ImportResult]:
    """Write one segment per run of the experiments at ``uri`` (all active ones, or those
    named or numbered in ``experiments``) into the data directory ``root``."""
    client = _client(uri)
    for experiment in _experiments(client, experiments):
        target = project or project_name(experiment.name, "mlflow")
        for run in _runs(client, experiment.experiment_id):
            yield _import_run(client, run, root, uri=uri, experiment=experiment.name,
                              entity=entity, project=target)


def _experiments(client: Any, wanted: Sequence[str]) -> list[Any]:
    found: list[Any] = []
    token = None
    while True:
        page = client.search_experiments(max_results=PAGE, page_token=token)
        found.extend(page)
        token = page.token
        if not token:
            break
    if not wanted:
        return found
    chosen = [e for e in found if e.name in wanted or e.experiment_id in wanted]
    missing = set(wanted) - {e.name for e in chosen} - {e.experiment_id for e in chosen}
    if missing:
        names = ", ".join(sorted(e.name for e in found)) or "none"
        raise LookupError(f"no MLflow experiment named {', '.join(sorted(missing))}; the "
                          f"tracking store has: {names}")
    return chosen


def _runs(client: Any, experiment_id: str) -> Iterator[Any]:
    token = None
    while True:
        page = client.search_runs([experiment_id], max_results=PAGE, page_token=token,
                                  order_by=["attributes.start_time ASC"])
        yield from page
        token = page.token
        if not token:
            return


def _tags(tags: dict[str, str]) -> list[str]:
    out: list[str] = []
    for key, value in sorted(tags.items()):
        if key.startswith("mlflow."):
            continue
        tag = f"{key}={value}" if value else key
        if tag.strip() and "\x00" not in tag and tag not in out:
            out.append(tag[:MAX_TAG_LENGTH])
    return out


def _import_run(client: Any, run: Any, root: Path, *, uri: str, experiment: str,
                entity: str, project: str) -> ImportResult:
    info, data = run.info, run.data
    tags: dict[str, str] = dict(data.tags)
    created = info.start_time / 1000 if info.start_time else None
    metadata: dict[str, Any] = {
        "import": {"source": "mlflow", "tracking_uri": uri, "experiment": experiment,
                   "run_id": info.run_id},
        "mlflow_tags": dict(sorted(tags.items())),
    }
    if info.user_id:
        metadata["user"] = info.user_id
    if tags.get("mlflow.source.name"):
        metadata["argv"] = [tags["mlflow.source.name"]]
    if tags.get("mlflow.source.git.commit"):
        metadata["git"] = {"commit": tags["mlflow.source.git.commit"]}
    imported = ImportedRun(
        run_id=info.run_id, project=project, entity=entity,
        name=(info.run_name or tags.get("mlflow.runName") or info.run_id)[:128],
        created=created, tags=_tags(tags), notes=tags.get("mlflow.note.content"),
        group=tags.get("mlflow.parentRunId"),
        config={k: param_value(v) for k, v in sorted(data.params.items())},
        metadata=metadata)
    points: dict[tuple[float, int], dict[str, float]] = {}
    for key in sorted(data.metrics):
        for metric in client.get_metric_history(info.run_id, key):
            points.setdefault((metric.timestamp / 1000, metric.step), {})[key] = metric.value
    writer = ImportWriter(root, imported)
    try:
        for (ts, step), values in sorted(points.items()):
            writer.history(ts, step, values)
        last = max([created or 0.0, *(ts for ts, _ in points)])
        state = STATES.get(info.status)
        if state is not None:  # a run MLflow still shows running is imported as it is now
            writer.finish(info.end_time / 1000 if info.end_time else last, state)
    except BaseException:
        writer.abort()
        raise
    return ImportResult(imported, writer.close(), writer.points)
