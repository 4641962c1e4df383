"""``tracklet cache``: the local download cache of artifact blobs."""

from __future__ import annotations

import click

from tracklet.cli.context import CliContext, pass_cli


def _size(n: int) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e8 else f"{n / 1e6:.1f} MB"


@click.group()
def cache() -> None:
    """Manage the local cache of downloaded artifact files."""


@cache.command("clean")
@click.option("--max-size", default="0", show_default=True, metavar="SIZE",
              help="Keep at most this much (e.g. 10GB, 500MB); 0 empties the cache.")
@click.option("--dry-run", is_flag=True, help="Only say what would be removed.")
@pass_cli
def clean(cli: CliContext, max_size: str, dry_run: bool) -> None:
    """Remove the least recently used cached files until the cache fits in SIZE."""
    from tracklet.sdk.artifacts.cache import DownloadCache, cache_dir, parse_size

    limit = parse_size(max_size)
    folder = cache_dir(root=cli.settings.root)
    result = DownloadCache(folder).clean(limit, dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    click.echo(f"{verb} {result.removed_files} files ({_size(result.removed_bytes)}) from "
               f"{folder}; {_size(result.kept_bytes)} kept")
