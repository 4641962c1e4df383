"""``tracklet sync``: ship run logs (offline runs, leftovers of crashed ones) into the store.

Shipping is idempotent: the store remembers, per segment, the last record it applied, so a
second sync of the same logs reports "up to date" and changes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tracklet.cli.context import CliContext, pass_cli

if TYPE_CHECKING:
    from tracklet.shipping.local import LocalShipper

PROGRESS_FROM = 10  # segments; fewer than this print without a progress bar


@click.command()
@click.argument("paths", nargs=-1, metavar="[PATHS]...",
                type=click.Path(path_type=Path))
@pass_cli
def sync(cli: CliContext, paths: tuple[Path, ...]) -> None:
    """Ship run logs (offline or unfinished runs) into the store.

    PATHS are data directories, run directories (DIR/runs/RUN_ID) or single run-log files
    (*.tlog); the default is the data directory. Records go into the store of --dir.
    Use it for runs logged with mode="offline", runs copied from another machine, and
    runs whose process died before everything was stored. Running it again is safe: it
    reports "up to date".
    """
    from tracklet.shipping.runlog import find_segments

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
    shipper = _open_shipper(cli)
    try:
        totals = _ship_all(segments, shipper)
    finally:
        shipper.close()
    total = len(segments)
    noun = "segment" if total == 1 else "segments"
    if totals["shipped"]:
        click.echo(f"synced {total} {noun} into {cli.location}: {totals['shipped']} new "
                   "records")
    elif not totals["failed"]:
        click.echo(f"everything up to date ({total} {noun})")
    if totals["problems"]:
        click.echo(f"{totals['problems']} run log(s) had unreadable parts (see the warnings "
                   "above); what could be read was shipped", err=True)
    if totals["failed"]:
        raise click.ClickException(
            f"{totals['failed']} run log(s) could not be stored (see the errors above); "
            "the run logs are kept as they were: fix the cause and run `tracklet sync` again")


def _open_shipper(cli: CliContext) -> LocalShipper:
    from tracklet.shipping.local import LocalShipper
    from tracklet.store.sql.store import SqlMetadataStore

    settings = cli.settings
    settings.root.mkdir(parents=True, exist_ok=True)
    return LocalShipper(SqlMetadataStore(settings.store_url))


def _ship_all(segments: list[Path], shipper: LocalShipper) -> Counter[str]:
    """Ship each segment, printing one line per segment. Returns the counts of records
    ``shipped``, of segments with unreadable parts (``problems``) and of segments the
    store refused (``failed``)."""
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
