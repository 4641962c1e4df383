"""``tracklet gc``: delete artifact blobs that no version holds any more (dry run unless
``--delete``), in the data directory or on a server (site admins)."""

from __future__ import annotations

import click

from tracklet.cli.context import CliContext, pass_cli


@click.command()
@click.option("--delete", is_flag=True,
              help="Really delete (without it, only count what would go).")
@click.option("--min-age", type=click.FloatRange(min=0), default=3600.0, show_default=True,
              metavar="SECONDS", help="Keep blobs stored less than this long ago (they may "
                                      "belong to an upload still going on).")
@click.option("--host", metavar="URL",
              help="Collect on the server at URL (needs a site admin's API key).")
@pass_cli
def gc(cli: CliContext, delete: bool, min_age: float, host: str | None) -> None:
    """Free the blobs of deleted artifact versions: those no remaining version holds.

    A dry run by default: it says how many blobs and bytes would be deleted.
    """
    if host is not None:
        from tracklet.core.urls import normalize_url
        from tracklet.shipping.client import ServerClient

        url = normalize_url(host)
        with ServerClient(url, cli.server_key(url)) as client:
            reply = client.request("POST", "/artifact-blobs/gc",
                                   params={"dry_run": "false" if delete else "true",
                                           "min_age": min_age}).json()
        count, size = int(reply["blobs"]), int(reply["bytes"])
        where = url
    else:
        from tracklet.sdk.artifacts.backend import LocalBackend

        settings = cli.settings
        if not (settings.root / "tracklet.db").is_file():
            raise click.ClickException(f"no Tracklet data in {settings.root.absolute()}")
        backend = LocalBackend(settings.root, settings.store_url)
        try:
            unused = backend.store.unreferenced_blobs(min_age=min_age)
            if delete:
                for digest, _ in unused:
                    backend.blobs.delete(digest)
                backend.store.forget_blobs([d for d, _ in unused])
        finally:
            backend.close()
        count, size = len(unused), sum(s for _, s in unused)
        where = str(settings.root.absolute())
    verb = "deleted" if delete else "would delete"
    click.echo(f"{verb} {count} unused blobs ({size} bytes) in {where}"
               + ("" if delete else "; run `tracklet gc --delete` to delete them"))
