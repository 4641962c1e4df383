"""``tracklet ui``: the local data directory over HTTP, on this machine only, no login.

It is the one door without a key (DESIGN: local mode only, loopback only): the server
app reads the SQLite store of ``--dir`` with reads open to anyone who can reach
127.0.0.1 and every write refused. The web dashboard will be served here when it lands.
"""

from __future__ import annotations

import click

from tracklet.cli.context import CliContext, pass_cli

LOOPBACK = "127.0.0.1"


@click.command()
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (always on 127.0.0.1, this machine only).")
@pass_cli
def ui(cli: CliContext, port: int) -> None:
    """Serve the runs of the local data directory, read-only, on 127.0.0.1.

    No login: anyone on this machine can read; nothing can be written through it. Use
    `tracklet server` to share runs with a team.
    """
    import uvicorn

    from tracklet.server.app import create_app
    from tracklet.server.settings import ServerSettings

    db = cli.settings.root / "tracklet.db"
    if not db.exists():
        raise click.ClickException(f"no Tracklet data in {cli.settings.root.absolute()}: log "
                                   "a run first (`tracklet demo`) or pass --dir")
    settings = ServerSettings(db_url=f"sqlite:///{db.absolute()}", host=LOOPBACK, port=port,
                              api_keys=(), public_reads=True)
    click.echo(f"Tracklet on http://{LOOPBACK}:{port}/api/v1 (read-only, this machine only; "
               f"data in {cli.settings.root.absolute()}). The web dashboard arrives with the "
               "web UI; until then use the API or `tracklet runs ls`.", err=True)
    uvicorn.run(create_app(settings), host=LOOPBACK, port=port, log_level="warning")
