"""``tracklet sweep`` and ``tracklet agent``: hyperparameter sweeps from the command line.

``tracklet sweep CONFIG.yaml`` creates a sweep (as ``wandb sweep`` does) and prints the
agent command; ``ls``, ``show``, ``pause``, ``resume``, ``stop`` and ``cancel`` manage
sweeps; ``tracklet agent SWEEP`` runs its program. ``--host URL`` works on a server.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from tracklet.cli.context import CliContext, pass_cli
from tracklet.errors import TrackletError

HOST_HELP = ("The server at URL (its API key from TRACKLET_API_KEY or `tracklet login`) "
             "instead of the data directory.")


def _settings(cli: CliContext, host: str | None, project: str | None = None,
              entity: str | None = None) -> Any:
    from tracklet.sdk.settings import Settings

    args: dict[str, Any] = {"dir": str(cli.data_dir), "project": project, "entity": entity}
    if host is not None:
        from tracklet.core.urls import normalize_url

        try:
            url = normalize_url(host)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--host") from None
        args.update(base_url=url, api_key=cli.server_key(url), mode="online")
    elif not cli.settings.base_url:
        args["mode"] = "local"
    try:
        return Settings.resolve(args)
    except (TypeError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None


def _open(cli: CliContext, host: str | None, path: str) -> tuple[Any, Any]:
    from tracklet.sdk.sweeps import backend_for, split_sweep_path

    settings = _settings(cli, host)
    backend = backend_for(settings)
    entity, project, sweep_id = split_sweep_path(path, settings)
    try:
        return backend, backend.get_sweep(entity, project, sweep_id)
    except TrackletError:
        backend.close()
        raise


class _SweepGroup(click.Group):
    """``tracklet sweep [--project P] CONFIG.yaml`` is ``tracklet sweep create ...`` (as
    ``wandb sweep``)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["create", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_SweepGroup)
def sweep() -> None:
    """Hyperparameter sweeps: `tracklet sweep CONFIG.yaml` creates one (W&B's format)."""


@sweep.command("create")
@click.argument("config", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--project", help="The project (default: the config's, then TRACKLET_PROJECT).")
@click.option("--entity", help="The entity (default: the config's, then yours).")
@click.option("--host", metavar="URL", help=HOST_HELP)
@pass_cli
def create(cli: CliContext, config: Path, project: str | None, entity: str | None,
           host: str | None) -> None:
    """Create a sweep from a YAML (or JSON) config; prints its id and the agent command."""
    import yaml

    from tracklet.sdk.sweeps import backend_for

    try:
        raw = yaml.safe_load(config.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise click.ClickException(f"{config} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise click.ClickException(f"{config} must hold a mapping (method, metric, "
                                   "parameters ...)")
    settings = _settings(cli, host, project or raw.get("project"),
                         entity or raw.get("entity"))
    backend = backend_for(settings)
    try:
        info = backend.create_sweep(settings.entity, settings.project, raw)
    finally:
        backend.close()
    click.echo(info.sweep_id)
    flags = cli.dir_flag() + (f"--host {settings.base_url} " if host else "")
    click.echo(f"run agents with: tracklet {flags}agent {info.path}", err=True)


@sweep.command("ls")
@click.option("--project", help="The project (default: TRACKLET_PROJECT).")
@click.option("--entity", help="The entity (default: yours).")
@click.option("--host", metavar="URL", help=HOST_HELP)
@pass_cli
def list_sweeps(cli: CliContext, project: str | None, entity: str | None,
                host: str | None) -> None:
    """List a project's sweeps: id, state, method, runs, name."""
    from tracklet.sdk.sweeps import backend_for

    settings = _settings(cli, host, project, entity)
    backend = backend_for(settings)
    try:
        found = backend.list_sweeps(settings.entity, settings.project)
    finally:
        backend.close()
    if not found:
        click.echo(f"no sweeps in {settings.entity}/{settings.project}", err=True)
    for s in found:
        click.echo(f"{s.sweep_id}  {s.state:<9} {s.method:<6} {s.run_count:>5} runs  "
                   f"{s.name or ''}".rstrip())


@sweep.command("show")
@click.argument("sweep_path", metavar="SWEEP")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--host", metavar="URL", help=HOST_HELP)
@pass_cli
def show(cli: CliContext, sweep_path: str, as_json: bool, host: str | None) -> None:
    """A sweep's config, state and the runs it created with their parameters."""
    import dataclasses

    backend, info = _open(cli, host, sweep_path)
    try:
        handed = backend.list_runs(info)
    finally:
        backend.close()
    if as_json:
        click.echo(json.dumps({**dataclasses.asdict(info),
                               "runs": [dataclasses.asdict(r) for r in handed]}, indent=2,
                              default=str))
        return
    click.echo(f"sweep {info.path}: {info.state}, {info.method}, {len(handed)} runs")
    click.echo(json.dumps(info.config, indent=2))
    metric = (info.config.get("metric") or {}).get("name")
    for r in handed:
        value = r.summary.get(metric) if metric else None
        shown = "" if value is None else f"  {metric}={value}"
        click.echo(f"{r.run_id}  {r.state:<8} {json.dumps(r.params)}{shown}")


def _state_command(name: str, state: str, doc: str) -> None:
    @sweep.command(name, help=doc)
    @click.argument("sweep_path", metavar="SWEEP")
    @click.option("--host", metavar="URL", help=HOST_HELP)
    @pass_cli
    def command(cli: CliContext, sweep_path: str, host: str | None) -> None:
        backend, info = _open(cli, host, sweep_path)
        try:
            info = backend.set_state(info, state)
        finally:
            backend.close()
        click.echo(f"sweep {info.path} is {info.state}")


_state_command("pause", "paused", "Pause a sweep: agents wait for `resume`.")
_state_command("resume", "running", "Resume a paused sweep.")
_state_command("stop", "finished", "Finish a sweep: running runs go on, no new ones start.")
_state_command("cancel", "cancelled", "Cancel a sweep: no new runs start, ever.")


@click.command("agent")
@click.argument("sweep_path", metavar="SWEEP")
@click.option("--count", type=click.IntRange(min=1), help="Run at most this many runs.")
@click.option("--poll-interval", type=click.FloatRange(min=0.01), default=5.0,
              show_default=True, metavar="SECONDS",
              help="How often to ask a paused sweep whether it resumed, and whether "
                   "hyperband stops the run.")
@click.option("--project", help="The project, when SWEEP is only an id.")
@click.option("--entity", help="The entity, when SWEEP is only an id.")
@click.option("--host", metavar="URL", help=HOST_HELP)
@pass_cli
def agent(cli: CliContext, sweep_path: str, count: int | None, poll_interval: float,
          project: str | None, entity: str | None, host: str | None) -> None:
    """Run a sweep's program once per run it hands out (SWEEP: entity/project/id)."""
    from tracklet.sdk.sweep_agent import agent as run_agent

    settings = _settings(cli, host, project, entity)
    ran = run_agent(sweep_path, count=count, settings=settings, poll_interval=poll_interval)
    click.echo(f"agent ran {ran} run(s)", err=True)
