"""Accelerate -> Tracklet: log_with="tracklet" and a TrackletTracker instance."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from integration_helpers import history, need, one_run, runs_of

import tracklet

need("torch")
need("accelerate")


def train(accelerator: Any, steps: int = 5) -> list[float]:
    """A tiny regression loop that logs its loss every step; returns the losses."""
    import torch

    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    model, opt = accelerator.prepare(model, opt)
    x, y = torch.randn(16, 3), torch.randn(16, 1)
    losses = []
    for step in range(steps):
        loss = torch.nn.functional.mse_loss(model(x), y)
        accelerator.backward(loss)
        opt.step()
        opt.zero_grad()
        losses.append(loss.item())
        accelerator.log({"train/loss": loss.item(), "lr": 0.1}, step=step)
    return losses


@pytest.fixture(autouse=True)
def fresh_accelerate_state() -> Any:
    from accelerate.state import AcceleratorState, PartialState

    yield
    AcceleratorState._reset_state(reset_partial_state=True)
    PartialState._reset_state()


def test_log_with_name(clean_session: Path) -> None:
    from accelerate import Accelerator

    accelerator = Accelerator(log_with="tracklet", cpu=True)
    accelerator.init_trackers("acc-proj", config={"lr": 0.1, "layers": 1},
                              init_kwargs={"tracklet": {"name": "acc-run", "tags": ["a"]}})
    run_obj = accelerator.get_tracker("tracklet", unwrap=True)
    assert run_obj is tracklet.run
    losses = train(accelerator)
    accelerator.end_training()
    assert tracklet.run is None

    run = one_run(clean_session, "acc-proj")
    assert (run.name, run.state, run.tags) == ("acc-run", "finished", ["a"])
    assert run.config == {"lr": 0.1, "layers": 1}
    rows = history(run, clean_session)
    assert [r["_step"] for r in rows] == [0, 1, 2, 3, 4]
    assert [r["train/loss"] for r in rows] == pytest.approx(losses)


def test_tracker_instance_in_log_with(clean_session: Path) -> None:
    from accelerate import Accelerator

    from tracklet.integrations.accelerate import TrackletTracker

    tracker = TrackletTracker("acc-instance", name="inst")
    accelerator = Accelerator(log_with=[tracker], cpu=True)
    accelerator.init_trackers("ignored-for-instances", config={"batch": 16})
    losses = train(accelerator, steps=3)
    accelerator.end_training()

    assert runs_of(clean_session, "ignored-for-instances") == []
    run = one_run(clean_session, "acc-instance")
    assert run.config == {"batch": 16}
    assert [r["train/loss"] for r in history(run, clean_session)] == pytest.approx(losses)


def test_only_the_main_process_logs(clean_session: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from accelerate import Accelerator
    from accelerate.state import PartialState
    from accelerate.utils import DistributedType

    accelerator = Accelerator(log_with="tracklet", cpu=True)
    # what rank 1 of 2 sees: the state accelerate's on_main_process decorator checks
    state = PartialState._shared_state
    monkeypatch.setitem(state, "process_index", 1)
    monkeypatch.setitem(state, "num_processes", 2)
    monkeypatch.setitem(state, "distributed_type", DistributedType.MULTI_CPU)
    assert not PartialState().is_main_process
    assert PartialState().use_distributed
    accelerator.init_trackers("acc-rank1", config={"lr": 0.1})
    accelerator.log({"loss": 1.0}, step=0)
    accelerator.end_training()
    assert tracklet.run is None
    assert not (clean_session / "tracklet.db").exists()


@pytest.mark.parametrize("first", ["tracklet", "accelerate"])
def test_log_with_name_is_registered_in_either_import_order(first: str) -> None:
    import subprocess
    import sys

    imports = ["import tracklet", "import accelerate.tracking"]
    if first == "accelerate":
        imports.reverse()
    code = "\n".join([*imports, "from accelerate.tracking import LOGGER_TYPE_TO_CLASS as t",
                      "print(t['tracklet'].__module__)"])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "tracklet.integrations.accelerate"
