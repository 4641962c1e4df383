"""What every command gets from ``tracklet --dir``: the data directory, its settings and a
read API, plus the lookups that turn what a user typed (a project, a run path) into runs.

Every failure here is a ``click.ClickException``: one line that says what to do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tracklet.errors import NotFoundError
from tracklet.sdk.settings import Settings

if TYPE_CHECKING:
    from tracklet.sdk.api import Api, ApiRun
    from tracklet.store.base import ProjectInfo

DEFAULT_DIR = "./tracklet"


@dataclass
class CliContext:
    """The global options, handed to every command by click's context."""

    data_dir: Path

    @property
    def settings(self) -> Settings:
        try:
            return Settings.resolve({"dir": str(self.data_dir)})
        except (TypeError, ValueError) as exc:
            raise click.ClickException(f"{exc}; fix the TRACKLET_* environment "
                                       "variable") from None

    @property
    def location(self) -> str:
        return str(self.settings.root.absolute())

    def server_key(self, url: str) -> str:
        """The API key for the server at ``url`` (TRACKLET_API_KEY, or `tracklet login`)."""
        from tracklet.sdk.settings import Settings

        key = Settings.resolve({"dir": str(self.data_dir), "base_url": url,
                                "mode": "offline"}).api_key
        if not key:
            raise click.ClickException(f"no API key for {url}: run `tracklet login --host "
                                       f"{url}` or set TRACKLET_API_KEY")
        return key

    def where(self, host: str | None) -> str:
        """Where runs are read from, for messages: the server's URL or the directory."""
        return host or self.location

    def open_api(self, host: str | None = None) -> Api:
        """The read API over the server at ``host``, else over the store in the data
        directory (which must hold data)."""
        if host is not None:
            from tracklet.core.urls import normalize_url
            from tracklet.sdk.api import Api

            try:
                url = normalize_url(host)
            except ValueError as exc:
                raise click.BadParameter(str(exc), param_hint="--host") from None
            return Api(url, api_key=self.server_key(url))
        settings = self.settings
        if not (settings.root / "tracklet.db").is_file():
            raise click.ClickException(
                f"no Tracklet data in {self.location}: log a run first (try `tracklet "
                "demo`), or pass --dir / set TRACKLET_DIR to the folder that holds "
                "tracklet.db")
        from tracklet.sdk.api import Api

        return Api(settings=settings)

    def dir_flag(self) -> str:
        """``--dir X `` to repeat in suggested commands when the directory is not the default."""
        if self.settings.root.absolute() == Path(DEFAULT_DIR).absolute():
            return ""
        return f"--dir {self.settings.root} "


pass_cli = click.make_pass_decorator(CliContext)

host_option = click.option(
    "--host", metavar="URL",
    help="Read from the server at URL (its API key from TRACKLET_API_KEY or `tracklet "
         "login`) instead of the data directory.")


def _listing(projects: Sequence[ProjectInfo]) -> str:
    return ", ".join(f"{p.entity}/{p.name} ({p.run_count} runs)" for p in projects)


def resolve_project(api: Api, location: str, project: str | None,
                    entity: str | None) -> tuple[str, str]:
    """``(entity, project)`` for what the user typed: ``project``, ``entity/project`` or
    nothing (fine when the data directory holds one project)."""
    if project is not None and "/" in project:
        head, _, project = project.partition("/")
        if entity is not None and entity != head:
            raise click.ClickException(f"--entity {entity} contradicts {head}/{project}; "
                                       "give the entity once")
        entity = head
    known = api.projects()
    candidates = [p for p in known if entity is None or p.entity == entity]
    if project is not None:
        candidates = [p for p in candidates if p.name == project]
    if len(candidates) == 1:
        return candidates[0].entity, candidates[0].name
    if project is None:
        if not candidates:
            raise click.ClickException(f"no projects in {location} yet: log a run first "
                                       "(try `tracklet demo`)")
        raise click.ClickException(f"{location} holds several projects: {_listing(candidates)}; "
                                   "name one, e.g. `tracklet runs ls PROJECT`")
    if not candidates:
        shown = f"{entity}/{project}" if entity else project
        others = f"; projects there: {_listing(known)}" if known else ""
        raise click.ClickException(f"no project {shown} in {location}{others}")
    mine = [p for p in candidates if p.entity == api.default_entity]
    if len(mine) == 1:
        return mine[0].entity, mine[0].name
    raise click.ClickException(f"several entities have a project {project!r}: "
                               f"{_listing(candidates)}; pick one with --entity")


def find_run(api: Api, location: str, path: str) -> ApiRun:
    """The run at ``entity/project/run_id``, ``project/run_id`` or a bare ``run_id``."""
    parts = [p for p in path.replace("/runs/", "/").split("/") if p]
    if not 1 <= len(parts) <= 3:
        raise click.ClickException(f"{path!r} is not a run path: use entity/project/run_id, "
                                   "project/run_id or run_id")
    run_id = parts[-1]
    projects = api.projects()
    if len(parts) == 3:
        places = [(parts[0], parts[1])]
    else:
        places = [(p.entity, p.name) for p in projects if len(parts) == 1 or p.name == parts[0]]
        places.sort(key=lambda place: place[0] != api.default_entity)
    found = []
    for entity, project in places:
        try:
            found.append(api.run(f"{entity}/{project}/{run_id}"))
        except NotFoundError:
            continue
    if len(found) == 1 or (found and len(parts) == 2):
        return found[0]
    if len(found) > 1:
        paths = ", ".join("/".join(r.path) for r in found)
        raise click.ClickException(f"run id {run_id!r} is in several projects ({paths}); "
                                   "give the full entity/project/run_id")
    where = f"project {'/'.join(parts[:-1])}" if len(parts) > 1 else "any project"
    raise click.ClickException(f"no run {run_id!r} in {where} in {location}: "
                               "`tracklet runs ls PROJECT` lists the runs")
