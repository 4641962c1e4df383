"""``tracklet demo``: a realistic demo project, logged through the public SDK.

Each run trains nothing: it draws noisy, decaying loss and rising accuracy curves whose
shape depends on its config (optimizer, learning rate, batch size, model size), with a
warmup + cosine learning-rate schedule and one evaluation per epoch. One run (the fifth)
diverges to NaN and ends ``failed``, as a real run with a too-high learning rate would.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from typing import Any

import click

from tracklet.cli.context import CliContext, pass_cli

SECONDS_PER_RUN = 1.2     # each run is paced so the system monitor takes a few samples
SYSTEM_INTERVAL = 0.5     # seconds between system-metrics samples
EPOCHS = 10
SIZES = {"small": (4, 256), "base": (8, 512), "large": (12, 768)}  # layers, width


@dataclass(frozen=True)
class Plan:
    optimizer: str
    lr: float
    batch_size: int
    size: str
    diverges: bool = False

    @property
    def name(self) -> str:
        return f"{self.optimizer}-{self.size}-lr{self.lr:g}-bs{self.batch_size}"


PLANS = [
    Plan("adamw", 3e-4, 64, "base"),
    Plan("adam", 1e-3, 32, "small"),
    Plan("sgd", 1e-2, 128, "base"),
    Plan("adamw", 1e-4, 64, "large"),
    Plan("sgd", 0.5, 64, "small", diverges=True),
    Plan("adamw", 3e-4, 128, "large"),
]


def plan_for(index: int) -> Plan:
    if index < len(PLANS):
        return PLANS[index]
    rng = random.Random(index)
    return Plan(rng.choice(["adam", "adamw", "sgd"]), rng.choice([1e-4, 3e-4, 1e-3, 3e-3]),
                rng.choice([32, 64, 128, 256]), rng.choice(list(SIZES)))


@click.command()
@click.option("--project", default="demo", show_default=True, metavar="NAME",
              help="Project to log into.")
@click.option("--runs", "count", default=6, show_default=True, type=click.IntRange(1, 100),
              metavar="N", help="How many runs to log.")
@click.option("--steps", default=2000, show_default=True, type=click.IntRange(10, 1_000_000),
              metavar="N", help="Training steps per run.")
@click.option("--open/--no-open", "open_ui", default=True, show_default=True,
              help="Afterwards, serve the dashboard (`tracklet ui`) until Ctrl-C and open "
                   "it in a browser when there is one.")
@pass_cli
def demo(cli: CliContext, project: str, count: int, steps: int, open_ui: bool) -> None:
    """Log a demo project through the Python SDK.

    Several runs with different configs (optimizer, learning rate, batch size, model
    size), train and eval curves, a learning-rate schedule, tags, groups and system
    metrics. Takes about a second per run.
    """
    import tracklet

    settings = {"dir": str(cli.settings.root), "mode": "local", "system_metrics": True,
                "system_metrics_interval": SYSTEM_INTERVAL, "console_capture": False}
    click.echo(f"logging {count} runs of {steps} steps into project {project!r} "
               f"in {cli.location}")
    last_id = ""
    ids: list[str] = []
    for index in range(count):
        plan = plan_for(index)
        try:
            run = tracklet.init(
                project=project, name=plan.name, config=_config(plan, steps),
                group=plan.size, job_type="train",
                tags=["demo", plan.optimizer] + (["baseline"] if index == 0 else []),
                notes="Baseline: AdamW with warmup and a cosine schedule." if index == 0
                else None, settings=settings, reinit=True)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        with run:
            best = _train(plan, steps, random.Random(index))
            if best is None:
                run.finish(exit_code=1)
        outcome = "diverged (loss became NaN): failed" if best is None \
            else f"finished, best eval/accuracy {best:.3f}"
        click.echo(f"  [{index + 1}/{count}] {run.id}  {plan.name:<28} {outcome}")
        last_id = run.id
        ids.append(run.id)
    _show(cli, project, ids)
    flag = cli.dir_flag()
    click.echo(f"\nThe runs are in {cli.location} (run logs in runs/, the store in "
               "tracklet.db). Next:")
    for command in (f"tracklet {flag}runs ls {project}",
                    f"tracklet {flag}runs ls {project} --sort -summary.eval/accuracy.max",
                    f"tracklet {flag}runs show {project}/{last_id}",
                    f"tracklet {flag}export {project}/{last_id} --format csv -o {last_id}.csv"):
        click.echo(f"  {command}")
    click.echo("  python -c \"import tracklet; "
               f"print(tracklet.Api({str(cli.settings.root)!r}).runs({project!r})[0]"
               ".history())\"")
    if not open_ui:
        click.echo(f"  tracklet {flag}ui    (the web dashboard)")
        return
    from tracklet.cli.ui import serve

    click.echo("\nServing the dashboard (Ctrl-C stops it):")
    serve(cli.settings.root, 8080, open_browser=True, any_port=True)


def _show(cli: CliContext, project: str, ids: list[str]) -> None:
    """The table `tracklet runs ls` prints, for the runs just logged."""
    from tracklet.cli.runs import print_table

    with cli.open_api() as api:
        entity = api.default_entity
        runs = [api.run(f"{entity}/{project}/{run_id}") for run_id in reversed(ids)]
        click.echo()
        print_table(runs, "-created_at")


def _config(plan: Plan, steps: int) -> dict[str, Any]:
    layers, width = SIZES[plan.size]
    return {"optimizer": plan.optimizer, "lr": plan.lr, "batch_size": plan.batch_size,
            "epochs": EPOCHS, "steps": steps, "warmup_steps": max(1, steps // 20),
            "model": {"size": plan.size, "layers": layers, "width": width,
                      "params_m": round(12 * layers * width * width / 1e6, 1)},
            "dataset": "synthetic-cifar10"}


def _floor(plan: Plan) -> float:
    """The loss this configuration would converge to."""
    best_lr = 1e-2 if plan.optimizer == "sgd" else 3e-4
    return (0.05 + {"small": 0.14, "base": 0.08, "large": 0.04}[plan.size]
            + {"sgd": 0.06, "adam": 0.02, "adamw": 0.0}[plan.optimizer]
            + 0.06 * abs(math.log10(plan.lr / best_lr)))


def _lr_at(plan: Plan, step: int, steps: int) -> float:
    warmup = max(1, steps // 20)
    if step < warmup:
        return plan.lr * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return plan.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))


def _train(plan: Plan, steps: int, rng: random.Random) -> float | None:
    """Log the curves of one run; the best eval accuracy, or None if it diverged."""
    import tracklet

    tracklet.define_metric("eval/*", step_metric="epoch")  # a glob: every eval/ key
    tracklet.define_metric("eval/loss", step_metric="epoch", summary="min,last",
                           goal="minimize")
    tracklet.define_metric("eval/accuracy", step_metric="epoch", summary="max,last",
                           goal="maximize")
    floor, start = _floor(plan), 2.3
    tau = steps * (0.12 + 0.02 * {"small": 0, "base": 1, "large": 2}[plan.size])
    noise = 0.10 / math.sqrt(plan.batch_size / 32)
    per_epoch = max(1, steps // EPOCHS)
    began = time.monotonic()
    best = 0.0
    blowup = 1.0
    for step in range(steps):
        smooth = floor + (start - floor) * math.exp(-step / tau)
        if plan.diverges and step > steps * 0.6:
            blowup *= 1.08
        loss = smooth * blowup * (1 + noise * rng.gauss(0, 1))
        if rng.random() < 0.004:
            loss *= 1.6  # a spike: charts must not hide it
        if not math.isfinite(loss) or loss > 1e6:
            loss = math.nan
        accuracy = min(0.995, 0.1 + 0.9 * max(0.0, (start - smooth) / start)
                       + 0.01 * rng.gauss(0, 1))
        train = {"loss": loss, "accuracy": accuracy, "lr": _lr_at(plan, step, steps)}
        if plan.diverges and step > steps * 0.6:
            train["accuracy"] = max(0.1, accuracy / blowup)
        end_of_epoch = (step + 1) % per_epoch == 0 or step == steps - 1
        if not end_of_epoch:
            tracklet.log({"train": train})
        else:
            epoch = min(EPOCHS, (step + 1 + per_epoch - 1) // per_epoch)
            tracklet.log({"train": train}, commit=False)
            overfit = 0.05 * max(0.0, step / steps - 0.7) * (2 if plan.size == "large" else 1)
            eval_loss = (smooth * 1.07 + overfit) * blowup * (1 + 0.02 * rng.gauss(0, 1))
            eval_acc = max(0.0, accuracy - 0.02 - overfit + 0.005 * rng.gauss(0, 1))
            if not math.isfinite(eval_loss) or eval_loss > 1e6:
                eval_loss = math.nan
            tracklet.log({"eval": {"loss": eval_loss, "accuracy": eval_acc}, "epoch": epoch})
            best = max(best, eval_acc)
            wait = began + SECONDS_PER_RUN * (step + 1) / steps - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        if math.isnan(loss):
            for _ in range(3):  # a few NaN steps, then the "training script" gives up
                tracklet.log({"train": {"loss": math.nan, "lr": _lr_at(plan, step, steps)}})
            return None
    return best
