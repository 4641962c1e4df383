"""`tracklet import tensorboard` and `tracklet import mlflow`: logs written by the real
libraries (torch's SummaryWriter, MLflow's client on a sqlite store) read back through
the Api with every point, its step and its wall time."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner, Result
from integration_helpers import need

import tracklet
from servers import KEY, ThreadServer
from tracklet.cli.main import main
from tracklet.sdk.api import ApiRun

T0 = 1_700_000_000.0  # wall times the writers are told, so the test knows them exactly


PIXELS = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(3, 2, 4) * 10  # CHW: RGB, 2 x 4


def f32(value: float) -> float:
    """``value`` as TensorBoard stores it (float32)."""
    return float(np.float32(value))


def assert_the_image(value: Any) -> None:
    """``value`` is the image ``PIXELS`` that SummaryWriter wrote, pixel for pixel."""
    assert (value.width, value.height) == (4, 2)
    assert np.array_equal(np.asarray(value.image()), PIXELS.transpose(1, 2, 0))


def cli(data: Path, *args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(main, ["--dir", str(data), *args], env={"TRACKLET_API_KEY": KEY},
                                catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def runs_by_name(api: tracklet.Api, project: str) -> dict[str, ApiRun]:
    return {run.name: run for run in api.runs(project)}


def points(run: ApiRun, key: str) -> list[tuple[int, float, float]]:
    """(step, value, wall time) of every point of ``key``."""
    return [(row["_step"], row[key], row["_timestamp"])
            for row in run.scan_history(keys=[key]) if key in row]


# --- TensorBoard -------------------------------------------------------------------------

@pytest.fixture
def tb_logs(tmp_path: Path) -> Path:
    """Two runs written by torch's SummaryWriter with known wall times."""
    need("tensorboard")
    from torch.utils.tensorboard import SummaryWriter

    logdir = tmp_path / "tb-logs"
    with SummaryWriter(str(logdir / "baseline")) as w:
        for step in range(50):
            w.add_scalar("train/loss", 2.0 / (step + 1), step, walltime=T0 + step)
            if step % 10 == 0:
                w.add_scalars("acc", {"train": step / 100, "val": step / 200}, step,
                              walltime=T0 + step)
        w.add_scalar("train/loss", math.nan, 50, walltime=T0 + 50)  # NaN is kept
        w.add_histogram("weights", np.array([0.0, 0.5, 0.5, 1.0, 2.0]), 7, bins=4,
                        walltime=T0 + 7)
        w.add_hparams({"lr": 0.25, "optimizer": "adam", "layers": 3, "dropout": False},
                      {"hparam/best_loss": 0.04})
    with SummaryWriter(str(logdir / "wide")) as w:
        for step in range(0, 1000, 100):
            w.add_scalar("train/loss", 1.0 / (step + 1), step, walltime=T0 + 1000 + step)
        w.add_image("samples/input", PIXELS, 300, walltime=T0 + 1300)
    return logdir


def test_tensorboard_import_keeps_every_point_step_and_wall_time(tb_logs: Path,
                                                                  tmp_path: Path) -> None:
    data = tmp_path / "data"
    out = cli(data, "import", "tensorboard", str(tb_logs), "--project", "from-tb").output
    assert "imported 2 runs" in out

    with tracklet.Api(data) as api:
        runs = runs_by_name(api, "from-tb")
        assert sorted(runs) == ["baseline", "wide"]
        base = runs["baseline"]
        loss = points(base, "train/loss")
        assert [(s, v, t) for s, v, t in loss[:50]] == [
            (step, f32(2.0 / (step + 1)), T0 + step) for step in range(50)]
        assert loss[50][0] == 50 and math.isnan(loss[50][1])
        assert points(base, "acc/train") == [(s, f32(s / 100), T0 + s) for s in range(0, 50, 10)]
        assert points(base, "acc/val") == [(s, f32(s / 200), T0 + s) for s in range(0, 50, 10)]
        assert base.config == {"lr": 0.25, "optimizer": "adam", "layers": 3, "dropout": False}
        assert [(r["_step"], r["hparam/best_loss"]) for r in base.scan_history(
            keys=["hparam/best_loss"])] == [(0, f32(0.04))]
        assert base.state == "finished"
        assert base.created_at == T0

        (hist,) = base.media(keys=["weights"])
        assert hist["_step"] == 7
        counts, edges = np.histogram([0.0, 0.5, 0.5, 1.0, 2.0], bins=4)
        assert hist["weights"]["values"] == [int(c) for c in counts]
        assert hist["weights"]["bins"] == pytest.approx([float(e) for e in edges])

        wide = points(runs["wide"], "train/loss")
        assert wide == [(s, f32(1.0 / (s + 1)), T0 + 1000 + s) for s in range(0, 1000, 100)]
        (image,) = runs["wide"].media(keys=["samples/input"])
        assert image["_step"] == 300
        assert_the_image(image["samples/input"])


def test_tensorboard_import_reads_the_tensor_forms_of_tensorflow_2(tmp_path: Path) -> None:
    """TF 2 writes scalars and histograms as tensors whose kind only the first value of a
    tag names (written here with tensorboard's own summary ops and event writer)."""
    need("tensorboard")
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.plugins.histogram.summary_v2 import histogram_pb
    from tensorboard.plugins.scalar.summary_v2 import scalar_pb
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    logdir = tmp_path / "tf2" / "run"
    writer = EventFileWriter(str(logdir))
    for step in range(3):
        summary = scalar_pb("loss", 1.5 - step)
        if step:  # as TF 2 does: the plugin is named on the first value only
            summary.value[0].ClearField("metadata")
        writer.add_event(Event(wall_time=T0 + step, step=step, summary=summary))
    writer.add_event(Event(wall_time=T0 + 9, step=9,
                           summary=histogram_pb("w", np.array([1.0, 2.0, 2.0, 4.0]),
                                                buckets=3)))
    writer.close()

    data = tmp_path / "data"
    cli(data, "import", "tensorboard", str(logdir.parent), "--project", "tf2")
    with tracklet.Api(data) as api:
        (run,) = api.runs("tf2")
        assert points(run, "loss") == [(0, 1.5, T0), (1, 0.5, T0 + 1), (2, -0.5, T0 + 2)]
        (hist,) = run.media(keys=["w"])
        assert hist["_step"] == 9
        assert sum(hist["w"]["values"]) == 4
        assert hist["w"]["bins"][0] == 1.0 and hist["w"]["bins"][-1] == 4.0


def test_tensorboard_import_twice_adds_nothing(tb_logs: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    cli(data, "import", "tensorboard", str(tb_logs / "wide"))
    again = cli(data, "import", "tensorboard", str(tb_logs / "wide")).output
    assert "already imported" in again
    with tracklet.Api(data) as api:
        (run,) = api.runs("wide")  # the project is named after the folder by default
        assert len(points(run, "train/loss")) == 10


def test_tensorboard_import_to_a_server(tb_logs: Path, tmp_path: Path) -> None:
    with ThreadServer(tmp_path / "server.db") as server:
        cli(tmp_path / "data", "import", "tensorboard", str(tb_logs / "wide"), "--project",
            "shared", "--host", server.base_url)
        with tracklet.Api(server.base_url, api_key=KEY) as api:
            (run,) = api.runs("shared")
            assert points(run, "train/loss") == [(s, f32(1.0 / (s + 1)), T0 + 1000 + s)
                                                 for s in range(0, 1000, 100)]
            (image,) = run.media(keys=["samples/input"])
            assert_the_image(image["samples/input"])  # its bytes came from the server


def test_tensorboard_import_errors_say_what_to_do(tmp_path: Path) -> None:
    need("tensorboard")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "no TensorBoard event files under" in cli(tmp_path / "d", "import", "tensorboard",
                                                     str(empty)).output
    bad = cli(tmp_path / "d", "import", "tensorboard", str(empty), "--project", "a b",
              code=2).output
    assert "project 'a b' is not valid" in bad


# --- MLflow ------------------------------------------------------------------------------

# MLflow's own store code uses a loader SQLAlchemy 2.1 deprecates (not ours to fix)
MLFLOW_WARNINGS = pytest.mark.filterwarnings(
    "ignore:The ``noload`` loader strategy is deprecated")


@pytest.fixture
def mlflow_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An MLflow sqlite store: two experiments, a finished, a failed and a nested run."""
    need("mlflow")
    import mlflow
    from mlflow.tracking import MlflowClient

    monkeypatch.chdir(tmp_path)  # MLflow puts its artifact folders in the working directory
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(uri)
    vision = client.create_experiment("vision/cnn")
    nlp = client.create_experiment("nlp")

    def run(experiment: str, name: str, params: dict[str, Any], losses: list[float],
            status: str, tags: dict[str, str] | None = None) -> str:
        created = client.create_run(experiment, run_name=name, tags=tags or {},
                                    start_time=int(T0 * 1000))
        run_id: str = created.info.run_id
        for key, value in params.items():
            client.log_param(run_id, key, value)
        for step, loss in enumerate(losses):
            client.log_metric(run_id, "loss", loss, timestamp=int((T0 + step) * 1000),
                              step=step * 10)
            client.log_metric(run_id, "acc", step / 10, timestamp=int((T0 + step) * 1000),
                              step=step * 10)
        client.set_terminated(run_id, status, end_time=int((T0 + 100) * 1000))
        return run_id

    parent = run(vision, "sweep-parent", {}, [], "FINISHED")
    run(vision, "resnet", {"lr": "0.001", "batch_size": 32, "pretrained": True,
                           "arch": "resnet18", "seed": None},
        [2.0, 1.5, 1.25, 1.0], "FINISHED",
        {"team": "vision", "mlflow.note.content": "first try", "mlflow.parentRunId": parent})
    run(nlp, "bert", {"lr": "5e-5"}, [3.0, math.nan], "FAILED")
    del mlflow
    yield uri


@MLFLOW_WARNINGS
def test_mlflow_import_keeps_params_metrics_tags_and_states(mlflow_store: str,
                                                            tmp_path: Path) -> None:
    data = tmp_path / "data"
    out = cli(data, "import", "mlflow", mlflow_store).output
    assert "imported 3 runs" in out

    with tracklet.Api(data) as api:
        vision = runs_by_name(api, "vision-cnn")
        assert sorted(vision) == ["resnet", "sweep-parent"]
        resnet = vision["resnet"]
        assert resnet.config == {"lr": 0.001, "batch_size": 32, "pretrained": True,
                                 "arch": "resnet18", "seed": None}
        assert points(resnet, "loss") == [(s * 10, loss, T0 + s)
                                          for s, loss in enumerate([2.0, 1.5, 1.25, 1.0])]
        assert points(resnet, "acc") == [(s * 10, s / 10, T0 + s) for s in range(4)]
        assert resnet.summary["loss"] == 1.0
        assert resnet.tags == ["team=vision"]
        assert resnet.notes == "first try"
        assert resnet.group == vision["sweep-parent"].id
        assert (resnet.state, resnet.created_at, resnet.finished_at) == (
            "finished", T0, T0 + 100)

        (bert,) = api.runs("nlp")
        assert bert.state == "failed" and bert.config == {"lr": 5e-5}
        bert_loss = points(bert, "loss")
        assert bert_loss[0] == (0, 3.0, T0) and math.isnan(bert_loss[1][1])


@MLFLOW_WARNINGS
def test_mlflow_import_one_experiment_into_a_project_and_twice(mlflow_store: str,
                                                               tmp_path: Path) -> None:
    data = tmp_path / "data"
    cli(data, "import", "mlflow", mlflow_store, "--experiment", "nlp", "--project", "mine")
    again = cli(data, "import", "mlflow", mlflow_store, "--experiment", "nlp", "--project",
                "mine").output
    assert "already imported" in again
    with tracklet.Api(data) as api:
        (bert,) = api.runs("mine")
        assert [p[0] for p in points(bert, "loss")] == [0, 10]
    missing = cli(data, "import", "mlflow", mlflow_store, "--experiment", "nope",
                  code=1).output
    assert "no MLflow experiment named nope" in missing and "vision/cnn" in missing
