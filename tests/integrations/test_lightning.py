"""PyTorch Lightning -> Tracklet: TrackletLogger with a tiny module, offline, on the CPU."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from integration_helpers import history, need, one_run

import tracklet

need("torch")
pl = need("pytorch_lightning")

pytestmark = [
    pytest.mark.filterwarnings("ignore:.*does not have many workers:UserWarning"),
    pytest.mark.filterwarnings("ignore:.*GPU available but not used:UserWarning"),
    pytest.mark.filterwarnings("ignore:.*number of training batches.*:UserWarning"),
    pytest.mark.filterwarnings("ignore:.*LeafSpec.*is deprecated:FutureWarning"),
    pytest.mark.filterwarnings("ignore:The dirpath has changed:UserWarning"),
]


def module_class() -> Any:
    import torch

    class Tiny(pl.LightningModule):
        def __init__(self, lr: float = 0.05, hidden: int = 4) -> None:
            super().__init__()
            self.save_hyperparameters()
            self.net = torch.nn.Sequential(torch.nn.Linear(3, hidden), torch.nn.ReLU(),
                                           torch.nn.Linear(hidden, 1))

        def training_step(self, batch: Any, batch_idx: int) -> Any:
            x, y = batch
            loss = torch.nn.functional.mse_loss(self.net(x), y)
            self.log("train_loss", loss)
            return loss

        def validation_step(self, batch: Any, batch_idx: int) -> None:
            x, y = batch
            self.log("val_loss", torch.nn.functional.mse_loss(self.net(x), y))

        def configure_optimizers(self) -> Any:
            return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)

    return Tiny


def loaders() -> tuple[Any, Any]:
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    gen = torch.Generator().manual_seed(0)
    x = torch.randn(32, 3, generator=gen)
    y = x.sum(dim=1, keepdim=True)
    data = TensorDataset(x, y)
    return DataLoader(data, batch_size=8), DataLoader(data, batch_size=16)


def fit(tmp_path: Path, logger: Any, epochs: int, ckpt_path: str | None = None,
        folder: str = "ckpt") -> Any:
    from pytorch_lightning.callbacks import ModelCheckpoint

    checkpoint = ModelCheckpoint(dirpath=tmp_path / folder, monitor="val_loss",
                                 save_top_k=1, save_last=True)
    trainer = pl.Trainer(max_epochs=epochs, logger=logger, callbacks=[checkpoint],
                         accelerator="cpu", log_every_n_steps=1, enable_progress_bar=False,
                         enable_model_summary=False, default_root_dir=tmp_path)
    train, val = loaders()
    torch = need("torch")
    torch.manual_seed(0)
    trainer.fit(module_class()(lr=0.05, hidden=4), train, val, ckpt_path=ckpt_path)
    return trainer, checkpoint


@pytest.mark.slow
def test_logger_logs_hparams_metrics_checkpoint_and_resumes(tmp_path: Path,
                                                            clean_session: Path) -> None:
    from tracklet.integrations.lightning import TrackletLogger

    logger = TrackletLogger(project="pl-proj", name="tiny", log_model=True)
    _, checkpoint = fit(tmp_path, logger, epochs=2)
    run_id = logger.version
    tracklet.finish()

    run = one_run(clean_session, "pl-proj")
    assert (run.id, run.name, run.state) == (run_id, "tiny", "finished")
    assert run.config == {"lr": 0.05, "hidden": 4}
    rows = history(run, clean_session)
    train = [r for r in rows if "train_loss" in r]
    # 32 rows / batch 8 = 4 steps per epoch: one point per step, trainer step as x-axis
    assert [r["trainer/global_step"] for r in train] == list(range(8))
    vals = [r for r in rows if "val_loss" in r]
    assert [r["trainer/global_step"] for r in vals] == [3, 7]
    assert {d["name"]: d["step_metric"] for d in run.metric_defs}["*"] == \
        "trainer/global_step"

    # the best checkpoint is a model artifact that loads back
    torch = need("torch")
    with tracklet.Api(clean_session) as api:
        best = api.artifact(f"pl-proj/model-{run_id}:best")
        folder = Path(best.download(tmp_path / "dl"))
    state = torch.load(folder / "model.ckpt", weights_only=False)
    assert state["hyper_parameters"] == {"lr": 0.05, "hidden": 4}
    assert best.metadata["score"] == pytest.approx(min(r["val_loss"] for r in vals))

    # resume: the same run id continues the same run from the last checkpoint
    again = TrackletLogger(project="pl-proj", id=run_id)
    fit(tmp_path, again, epochs=3, ckpt_path=checkpoint.last_model_path, folder="ckpt2")
    tracklet.finish()
    run = one_run(clean_session, "pl-proj")
    steps = [r["trainer/global_step"] for r in history(run, clean_session)
             if "train_loss" in r]
    assert steps == list(range(12))


def test_other_ranks_log_nothing(clean_session: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pytorch_lightning.utilities import rank_zero_only

    from tracklet.integrations.lightning import TrackletLogger

    monkeypatch.setattr(rank_zero_only, "rank", 1)  # what global rank 1 sees
    logger = TrackletLogger(project="pl-rank1")
    logger.log_hyperparams({"lr": 0.1})
    logger.log_metrics({"loss": 1.0}, step=0)
    logger.experiment.log({"x": 1.0})  # a no-op object off rank 0
    assert tracklet.run is None
    assert not (clean_session / "tracklet.db").exists()
