"""``tracklet artifact``: store a file or folder as an artifact version, fetch one, list
them, delete a version; in the data directory or on a server (``--host``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from tracklet.cli.context import CliContext, pass_cli

if TYPE_CHECKING:
    from tracklet.sdk.artifacts.client import ArtifactContext
    from tracklet.sdk.settings import Settings

host_option = click.option(
    "--host", metavar="URL",
    help="Use the server at URL (its API key from TRACKLET_API_KEY or `tracklet login`) "
         "instead of the data directory.")
project_option = click.option("--project", "-p", metavar="PROJECT",
                              help="The project (default: TRACKLET_PROJECT, else "
                                   "uncategorized).")
entity_option = click.option("--entity", "-e", metavar="ENTITY",
                             help="The entity (default: TRACKLET_ENTITY, else your user "
                                  "name).")


def _context(cli: CliContext, host: str | None, entity: str | None,
             project: str | None) -> tuple[Settings, ArtifactContext]:
    from tracklet.sdk.artifacts.client import context_for

    settings = cli.settings
    changes: dict[str, str] = {}
    if entity:
        changes["entity"] = entity
    if project:
        changes["project"] = project
    remote = settings.mode == "online"
    if host is not None:
        from tracklet.core.urls import normalize_url

        try:
            url = normalize_url(host)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--host") from None
        changes.update(base_url=url, api_key=cli.server_key(url))
        remote = True
    if changes:
        settings = settings.replace(**changes)
    return settings, context_for(settings, remote=remote)


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000  # type: ignore[assignment]
    return f"{n} B"


@click.group()
def artifact() -> None:
    """Store, fetch and list artifacts (versioned files: datasets, models)."""


@artifact.command("put")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--name", "-n", metavar="NAME", help="Artifact name (default: the file or "
                                                     "folder name).")
@click.option("--type", "-t", "type_", metavar="TYPE", default="dataset", show_default=True,
              help="Artifact type, e.g. dataset or model.")
@click.option("--alias", "-a", "aliases", metavar="ALIAS", multiple=True,
              help="An alias for the new version (repeat for several); `latest` is "
                   "automatic.")
@click.option("--description", "-d", metavar="TEXT", help="Description of the version.")
@project_option
@entity_option
@host_option
@pass_cli
def put(cli: CliContext, path: Path, name: str | None, type_: str, aliases: tuple[str, ...],
        description: str | None, project: str | None, entity: str | None,
        host: str | None) -> None:
    """Store the file or folder PATH as a new version of an artifact.

    Only files the store does not hold yet are uploaded; storing unchanged content again
    gives the existing version.
    """
    from tracklet.sdk.artifacts import Artifact
    from tracklet.sdk.artifacts.client import store_artifact

    settings, ctx = _context(cli, host, entity, project)
    art = Artifact(name or path.absolute().name, type_, description=description)
    if path.is_dir():
        art.add_dir(path)
    else:
        art.add_file(path)
    info = store_artifact(ctx, art, settings.entity, settings.project, aliases=aliases,
                          show_progress=None)
    assert art.stats is not None
    click.echo(f"{info.qualified_name} ({', '.join(info.aliases)}): "
               f"{art.stats.summary('uploaded')}")


@artifact.command("get")
@click.argument("name")
@click.option("--root", "-r", type=click.Path(file_okay=False, path_type=Path),
              metavar="DIR", help="Folder to download into (default: "
                                  "DIR/artifacts/NAME-vN of the data directory).")
@click.option("--verify", is_flag=True, help="Hash every file again after the download.")
@project_option
@entity_option
@host_option
@pass_cli
def get(cli: CliContext, name: str, root: Path | None, verify: bool, project: str | None,
        entity: str | None, host: str | None) -> None:
    """Download NAME (`name`, `name:alias`, `name:vN` or `entity/project/name:alias`);
    prints the folder."""
    from tracklet.sdk.artifacts.client import use_artifact

    settings, ctx = _context(cli, host, entity, project)
    art = use_artifact(None, name, settings=settings, remote=not _is_local(ctx))
    folder = art.download(root)
    if verify:
        art.verify(folder)
    assert art.stats is not None
    click.echo(f"{art.qualified_name}: {art.stats.summary('downloaded')}", err=True)
    click.echo(folder)


def _is_local(ctx: ArtifactContext) -> bool:
    from tracklet.sdk.artifacts.backend import LocalBackend

    return isinstance(ctx.backend, LocalBackend)


@artifact.command("ls")
@click.argument("project", required=False)
@click.option("--type", "-t", "type_", metavar="TYPE", help="Only artifacts of this type.")
@entity_option
@host_option
@pass_cli
def ls(cli: CliContext, project: str | None, type_: str | None, entity: str | None,
       host: str | None) -> None:
    """List the artifacts of PROJECT (`project` or `entity/project`) with their versions
    and aliases."""
    if project and "/" in project:
        entity, _, project = project.partition("/")
    settings, ctx = _context(cli, host, entity, project)
    collections = ctx.backend.list_collections(settings.entity, settings.project, type_)
    if not collections:
        click.echo(f"no artifacts in {settings.entity}/{settings.project}", err=True)
        return
    for coll in collections:
        click.echo(f"{coll.name} ({coll.type}, {coll.version_count} versions)")
        for v in ctx.backend.list_versions(settings.entity, settings.project, coll.name):
            aliases = f" [{', '.join(v.aliases)}]" if v.aliases else ""
            by = f" by run {v.run_id}" if v.run_id else ""
            click.echo(f"  v{v.version}{aliases}  {v.file_count} files  {_size(v.size)}{by}")


@artifact.command("rm")
@click.argument("name")
@project_option
@entity_option
@host_option
@pass_cli
def rm(cli: CliContext, name: str, project: str | None, entity: str | None,
       host: str | None) -> None:
    """Delete the version NAME (`name:vN` or `name:alias`); `tracklet gc` then frees the
    blobs no other version holds."""
    from tracklet.store.artifacts import ArtifactRef

    settings, ctx = _context(cli, host, entity, project)
    ref = ArtifactRef.parse(name)
    info = ctx.backend.get_version(ref.entity or settings.entity,
                                   ref.project or settings.project, ref.name, ref.alias)
    ctx.backend.delete_version(info)
    click.echo(f"deleted {info.qualified_name}; run `tracklet gc` to free its blobs")
