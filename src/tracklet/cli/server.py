"""``tracklet server``: the tracking server under uvicorn.

Settings come from the options, which fall back on ``TRACKLET_SERVER_*`` variables. With
``--workers`` above 1, uvicorn starts that many processes, each building its app from the
environment (``tracklet.server.app:app_from_env``), so the settings travel there.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from tracklet.cli.context import CliContext, pass_cli


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, envvar="TRACKLET_SERVER_HOST",
              help="Address to listen on; 0.0.0.0 for every interface.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535),
              envvar="TRACKLET_SERVER_PORT", help="Port to listen on.")
@click.option("--db", "db_url", metavar="URL", envvar="TRACKLET_SERVER_DB_URL",
              help="Database URL: sqlite:///PATH or postgresql+psycopg://USER@HOST/DB. "
                   "Default: the SQLite store of --dir (DIR/tracklet.db).")
@click.option("--api-key", "api_keys", metavar="KEY", multiple=True,
              help="An API key clients must send (Authorization: Bearer KEY). Repeat for "
                   "several; also TRACKLET_SERVER_API_KEYS (comma-separated).")
@click.option("--public-reads", is_flag=True,
              help="Let anyone read without a key (writes still need one).")
@click.option("--init-admin", is_flag=True,
              help="When the database has no user yet, create the site admin `admin` and "
                   "print an API key for it (once).")
@click.option("--heartbeat-timeout", type=click.FloatRange(min=0), metavar="SECONDS",
              help="Mark a running run crashed when nothing arrived from it for this long "
                   "(default 300; 0: never). Also TRACKLET_SERVER_HEARTBEAT_TIMEOUT.")
@click.option("--blobs", metavar="URI", envvar="TRACKLET_SERVER_BLOBS",
              help="Where artifact blobs live: file:///PATH or s3://BUCKET/PREFIX (endpoint "
                   "and credentials from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...). Default: "
                   "DIR/artifacts/blobs in the data directory of --dir.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes (uvicorn workers).")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]),
              help="How much the server logs.")
@pass_cli
def server(cli: CliContext, host: str, port: int, db_url: str | None,
           api_keys: tuple[str, ...], public_reads: bool, init_admin: bool,
           heartbeat_timeout: float | None, blobs: str | None, workers: int,
           log_level: str) -> None:
    """Run the tracking server (HTTP API under /api/v1) until interrupted.

    Clients stream runs to it (online mode) and read them back. Writes need an API key:
    an account's (`tracklet user create`, --init-admin) or a static admin key (--api-key
    or TRACKLET_SERVER_API_KEYS); reads too, unless the project is public or
    --public-reads.
    """
    import uvicorn

    from tracklet.server.app import create_app
    from tracklet.server.settings import ServerSettings

    root: Path = cli.settings.root
    if db_url is None:
        root.mkdir(parents=True, exist_ok=True)
        db_url = f"sqlite:///{(root / 'tracklet.db').absolute()}"
    elif not db_url.startswith("sqlite") and not blobs:  # in the data directory, as locally
        blobs = str((root / "artifacts" / "blobs").absolute())
    try:
        settings = ServerSettings.from_env(db_url=db_url, host=host, port=port,
                                           api_keys=api_keys or None,
                                           public_reads=public_reads or None,
                                           heartbeat_timeout=heartbeat_timeout,
                                           blobs=blobs)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    from tracklet.store.sql.store import SqlMetadataStore

    SqlMetadataStore(settings.db_url).close()  # fail here, not in each worker; migrate once
    if init_admin:
        from tracklet.cli.user import init_admin as make_admin

        key = make_admin(settings.db_url)
        if key is None:
            click.echo("--init-admin: the database already has users; none created", err=True)
        else:
            click.echo("created the site admin `admin`; its API key (shown once):", err=True)
            click.echo(key)
    if not settings.api_keys and not init_admin:
        click.echo("warning: no API keys (--api-key or TRACKLET_SERVER_API_KEYS): every write "
                   "will be refused" + ("" if settings.public_reads else ", and every read"),
                   err=True)
    click.echo(f"Tracklet server on http://{host}:{port}/api/v1 (docs: /api/v1/docs), "
               f"database {_shown(db_url)}", err=True)
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level)
        return
    os.environ.update(settings.to_env())
    uvicorn.run("tracklet.server.app:app_from_env", factory=True, host=host, port=port,
                workers=workers, log_level=log_level)


def _shown(url: str) -> str:
    """The URL without its password."""
    head, sep, tail = url.partition("://")
    if "@" in tail:
        creds, _, rest = tail.rpartition("@")
        user = creds.split(":", 1)[0]
        return f"{head}{sep}{user}:***@{rest}" if ":" in creds else url
    return url
