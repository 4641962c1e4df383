"""``tracklet import tensorboard|mlflow``: bring runs logged with other tools along.

Each run found is written as a run-log segment under the data directory and shipped like
``tracklet sync`` ships (into the local store, or to the server of ``--host`` or the
configured one), so importing the same source again adds nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tracklet.cli.context import CliContext, pass_cli
from tracklet.core.ids import check_name

if TYPE_CHECKING:
    from tracklet.importers.segment import ImportResult

_HOST = click.option("--host", metavar="URL",
                     help="Import to the server at URL (its API key from TRACKLET_API_KEY "
                          "or `tracklet login`) instead of the local store.")
_LOCAL = click.option("--local", "local", is_flag=True,
                      help="Import into the local store of --dir even when a server is "
                           "configured.")
_ENTITY = click.option("--entity", metavar="NAME",
                       help="The entity the runs belong to (default: your entity).")


@click.group("import")
def import_group() -> None:
    """Import runs from TensorBoard logs or an MLflow tracking store."""


@import_group.command("tensorboard")
@click.argument("logdir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--project", metavar="NAME",
              help="The project to import into (default: the log directory's name).")
@_ENTITY
@_HOST
@_LOCAL
@pass_cli
def tensorboard(cli: CliContext, logdir: Path, project: str | None, entity: str | None,
                host: str | None, local: bool) -> None:
    """Import the tfevents files under LOGDIR: one run per run directory.

    Scalars, histograms, images and hparams (as config) keep their tags, steps and wall
    times; other kinds are counted and skipped.
    """
    from tracklet.importers.images import image_sink
    from tracklet.importers.segment import project_name
    from tracklet.importers.tensorboard import import_logdir

    root = cli.settings.root
    target = _checked_project(project or project_name(logdir.resolve().name, "tensorboard"))
    results = import_logdir(logdir, root, project=target, entity=_entity(cli, entity),
                            images=image_sink(root))
    _ship(cli, results, host, local, empty=f"no TensorBoard event files under {logdir}")


@import_group.command("mlflow")
@click.argument("tracking_uri", metavar="TRACKING_URI")
@click.option("--experiment", "experiments", multiple=True, metavar="NAME",
              help="Import only this experiment (name or id; repeatable). Default: all "
                   "active experiments.")
@click.option("--project", metavar="NAME",
              help="Put every run into this project (default: one project per "
                   "experiment, named after it).")
@_ENTITY
@_HOST
@_LOCAL
@pass_cli
def mlflow(cli: CliContext, tracking_uri: str, experiments: tuple[str, ...],
           project: str | None, entity: str | None, host: str | None, local: bool) -> None:
    """Import the runs of an MLflow tracking store (TRACKING_URI as MLflow takes it:
    sqlite:///mlflow.db, ./mlruns, http://host:5000 ...).

    Params become config, metrics keep every point with its step and time, tags become
    tags, and each run keeps its MLflow id, name, times and status.
    """
    from tracklet.importers.mlflow import import_tracking

    if project is not None:
        _checked_project(project)
    results = import_tracking(tracking_uri, cli.settings.root, entity=_entity(cli, entity),
                              project=project, experiments=experiments)
    _ship(cli, results, host, local, empty=f"no MLflow runs at {tracking_uri}")


def _checked_project(name: str) -> str:
    try:
        return check_name(name, what="project")
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--project") from None


def _entity(cli: CliContext, entity: str | None) -> str:
    if entity is None:
        return cli.settings.entity
    try:
        return check_name(entity, what="entity")
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--entity") from None


def _ship(cli: CliContext, results: Iterator[ImportResult], host: str | None, local: bool,
          *, empty: str) -> None:
    """Ship each run's segment as it is written, one line per run."""
    from tracklet.cli.sync import open_shipper
    from tracklet.shipping.sync import sync_segment

    if host is not None and local:
        raise click.UsageError("--host and --local contradict each other; give one")
    shipper, target = open_shipper(cli, host, local)
    runs = points = 0
    skipped: Counter[str] = Counter()
    try:
        for result in _reporting(results):
            shipped = sync_segment(result.segment, shipper)
            if shipped.problem:
                raise click.ClickException(shipped.problem)
            runs += 1
            points += result.points
            skipped.update(result.skipped)
            news = "new" if shipped.shipped else "already imported"
            click.echo(f"{shipped.run_path} ({result.run.name}): {result.points} points, "
                       f"{news}")
    finally:
        shipper.close()
    if not runs:
        click.echo(empty)
        return
    click.echo(f"imported {runs} run{'s' if runs != 1 else ''} ({points} points) {target}")
    if skipped:
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(skipped.items()))
        click.echo(f"skipped values Tracklet does not import: {kinds}", err=True)


def _reporting(results: Iterator[ImportResult]) -> Iterator[ImportResult]:
    """The importer's results, with the errors of reading the source as one line each."""
    try:
        yield from results
    except ImportError as exc:
        raise click.ClickException(str(exc)) from None
    except (LookupError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc).strip("'\"")) from None

