"""``tracklet sync``: ship run logs (offline runs, leftovers of crashed ones) into the
local store, or to a server (``--host``, or the configured server in online mode).

Shipping is idempotent: the receiver remembers, per segment, the last record it applied,
so a second sync of the same logs reports "up to date" and changes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tracklet.cli.context import CliContext, pass_cli
from tracklet.errors import AuthError

if TYPE_CHECKING:
    from tracklet.shipping.base import Shipper

PROGRESS_FROM = 10  # segments; fewer than this print without a progress bar


@click.command()
@click.argument("paths", nargs=-1, metavar="[PATHS]...",
                type=click.Path(path_type=Path))
@click.option("--host", metavar="URL",
              help="Upload to the server at URL (its API key from TRACKLET_API_KEY or "
                   "`tracklet login`) instead of the local store.")
@click.option("--local", "local", is_flag=True,
              help="Store into the local store of --dir even when a server is configured.")
@pass_cli
def sync(cli: CliContext, paths: tuple[Path, ...], host: str | None, local: bool) -> None:
    """Ship run logs (offline or unfinished runs) into the store or to a server.

    PATHS are data directories, run directories (DIR/runs/RUN_ID) or single run-log files
    (*.tlog); the default is the data directory. Records go to the server of --host, else
    to the configured server in online mode (`tracklet login`, TRACKLET_BASE_URL), else
    into the store of --dir. Use it for runs logged with mode="offline", runs copied from
    another machine, runs that could not reach the server, and runs whose process died
    before everything was stored. Running it again is safe: it reports "up to date".
    """
    from tracklet.shipping.runlog import find_segments

    if host is not None and local:
        raise click.UsageError("--host and --local contradict each other; give one")

    roots = list(paths) or [cli.settings.root]
    for path in roots:
        if not path.exists():
            hint = ("log a run first or pass --dir" if not paths
                    else "pass a data directory, a run directory or a .tlog file")
            raise click.ClickException(f"{path} does not exist: {hint}")
    segments = find_segments(roots)
    if not segments:
        where = ", ".join(str(p) for p in roots)
        click.echo(f"nothing to sync: no run logs (*.tlog) under {where}")
        return
    shipper, target = open_shipper(cli, host, local)
    runs: dict[str, Path] = {}  # entity/project/run id -> the data directory of its log
    try:
        totals = _ship_all(segments, shipper, runs)
    finally:
        shipper.close()
    total = len(segments)
    noun = "segment" if total == 1 else "segments"
    if totals["shipped"]:
        click.echo(f"synced {total} {noun} {target}: {totals['shipped']} new records")
    elif not totals["failed"]:
        click.echo(f"everything up to date ({total} {noun})")
    if totals["problems"]:
        click.echo(f"{totals['problems']} run log(s) had unreadable parts (see the warnings "
                   "above); what could be read was shipped", err=True)
    if target.startswith("to "):
        _sync_artifacts(cli, target.removeprefix("to "), runs)
    if totals["failed"]:
        raise click.ClickException(
            f"{totals['failed']} run log(s) could not be stored (see the errors above); "
            "the run logs are kept as they were: fix the cause and run `tracklet sync` again")


def _sync_artifacts(cli: CliContext, url: str, runs: dict[str, Path]) -> None:
    """Send the artifacts that the synced runs logged or used offline (kept in the local
    store of their data directory) to the server at ``url``."""
    from tracklet.sdk.artifacts.backend import LocalBackend
    from tracklet.sdk.artifacts.http_backend import HttpBackend
    from tracklet.sdk.artifacts.sync import sync_run_artifacts

    by_dir: dict[Path, list[tuple[str, str, str]]] = {}
    for run_path, data_dir in runs.items():
        entity, project, run_id = run_path.split("/", 2)
        by_dir.setdefault(data_dir, []).append((entity, project, run_id))
    here = cli.settings.root.resolve()
    for data_dir, synced in by_dir.items():
        store_url = cli.settings.store_url if data_dir.resolve() == here else None
        if store_url is None and not (data_dir / "tracklet.db").is_file():
            continue  # no local store there: nothing was logged offline
        local = LocalBackend(data_dir, store_url)
        remote = HttpBackend(url, cli.server_key(url))
        try:
            report = sync_run_artifacts(local, remote, synced)
        except Exception as exc:
            raise click.ClickException(
                f"the artifacts of the runs in {data_dir} could not be synced ({exc}); "
                "the runs' records are on the server: run `tracklet sync` again to send "
                "the artifacts") from exc
        finally:
            local.close()
            remote.close()
        if report.versions:
            click.echo(f"{data_dir}: {report.summary()}")


def open_shipper(cli: CliContext, host: str | None, local: bool) -> tuple[Shipper, str]:
    """The receiver and how to name it (``into DIR``, ``to URL``)."""
    settings = cli.settings
    if host is not None or (settings.mode == "online" and not local):
        from tracklet.core.urls import normalize_url
        from tracklet.shipping.http import HttpShipper

        try:
            url = normalize_url(host or settings.base_url)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--host") from None
        return HttpShipper(url, cli.server_key(url)), f"to {url}"
    from tracklet.shipping.local import LocalShipper
    from tracklet.store.sql.store import SqlMetadataStore

    settings.root.mkdir(parents=True, exist_ok=True)
    return (LocalShipper.for_data_dir(SqlMetadataStore(settings.store_url), settings.root,
                                      settings.store_url), f"into {cli.location}")


def _ship_all(segments: list[Path], shipper: Shipper,
              runs: dict[str, Path] | None = None) -> Counter[str]:
    """Ship each segment, printing one line per segment. Returns the counts of records
    ``shipped``, of segments with unreadable parts (``problems``) and of segments the
    store refused (``failed``); ``runs`` gets each run shipped (entity/project/id) and
    the data directory its log is in."""
    from rich.console import Console

    err = Console(stderr=True)
    per_run = Counter(p.parent for p in segments)
    totals: Counter[str] = Counter()

    def ship(path: Path, echo: Callable[[str], None]) -> None:
        from tracklet.shipping.sync import sync_paths

        try:
            results = sync_paths([path], shipper).segments
        except OSError as exc:
            totals["problems"] += 1
            echo(f"warning: cannot read {path}: {exc.strerror or exc}")
            return
        except AuthError:
            raise  # a wrong key fails every segment alike: stop with one clear line
        except Exception as exc:  # one bad segment must not stop the others
            totals["failed"] += 1
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            echo(f"error: cannot store {path}: {type(exc).__name__}: {reason}")
            return
        for result in results:
            label = result.run_path
            if per_run[path.parent] > 1:
                label += f" (segment {path.stem})"
            if result.run_path != "?":
                if runs is not None and path.parent.parent.name == "runs":
                    runs[result.run_path] = path.parent.parent.parent
                news = f"{result.shipped} new records" if result.shipped else "up to date"
                click.echo(f"{label}: {news}")
            if result.problem:
                totals["problems"] += 1
                echo(f"warning: {result.problem}")
            totals["shipped"] += result.shipped

    if len(segments) >= PROGRESS_FROM and err.is_terminal:
        from rich.progress import Progress

        with Progress(console=err, transient=True) as progress:
            task = progress.add_task("syncing", total=len(segments))
            for path in segments:
                ship(path, lambda text: progress.console.print(text, style="yellow",
                                                               markup=False))
                progress.advance(task)
    else:
        for path in segments:
            ship(path, lambda text: click.echo(text, err=True))
    return totals
