"""``tracklet ui``: the local data directory over HTTP, on this machine only, no login.

It is the one door without a key (DESIGN: local mode only, loopback only): the server
app reads the SQLite store of ``--dir`` with reads open to anyone who can reach
127.0.0.1 and every write refused. The web dashboard is served at ``/`` (built by
``make web``); ``tracklet demo`` ends by calling ``serve`` here.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from pathlib import Path

import click

from tracklet.cli.context import CliContext, pass_cli

LOOPBACK = "127.0.0.1"


@click.command()
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (always on 127.0.0.1, this machine only).")
@click.option("--open/--no-open", "open_browser", default=False, show_default=True,
              help="Open the dashboard in a web browser, when this machine has one.")
@pass_cli
def ui(cli: CliContext, port: int, open_browser: bool) -> None:
    """Serve the runs of the local data directory, read-only, on 127.0.0.1.

    The web dashboard is at http://127.0.0.1:PORT/ and the API under /api/v1. No login:
    anyone on this machine can read; nothing can be written through it. Use
    `tracklet server` to share runs with a team. Stop it with Ctrl-C.
    """
    serve(cli.settings.root, port, open_browser=open_browser)


def serve(root: Path, port: int, *, open_browser: bool, any_port: bool = False) -> None:
    """Serve ``root`` read-only in the foreground until Ctrl-C; with ``any_port``, a free
    port when ``port`` is taken."""
    import uvicorn

    from tracklet.server.app import create_app
    from tracklet.server.settings import ServerSettings
    from tracklet.server.static import web_dist

    db = root / "tracklet.db"
    if not db.exists():
        raise click.ClickException(f"no Tracklet data in {root.absolute()}: log "
                                   "a run first (`tracklet demo`) or pass --dir")
    sock = _listen(port, any_port)
    bound = sock.getsockname()[1]
    settings = ServerSettings(db_url=f"sqlite:///{db.absolute()}", host=LOOPBACK, port=bound,
                              api_keys=(), public_reads=True)
    url = f"http://{LOOPBACK}:{bound}/"
    click.echo(f"Tracklet dashboard on {url} (API on http://{LOOPBACK}:{bound}/api/v1; "
               f"read-only, this machine only; data in {root.absolute()}). "
               "Press Ctrl-C to stop.", err=True)
    if not (web_dist() / "index.html").is_file():
        click.echo("The web dashboard is not built in this installation: run `make web` in "
                   "a checkout of Tracklet (the API works without it).", err=True)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning"))
    if open_browser:
        threading.Thread(target=_open_when_up, args=(server, url), daemon=True).start()
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn stops, then passes Ctrl-C on: a normal end here
        pass
    finally:
        sock.close()
    click.echo("Stopped.", err=True)


def _listen(port: int, any_port: bool) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((LOOPBACK, port))
    except OSError as exc:
        if not any_port:
            sock.close()
            raise click.ClickException(f"cannot listen on {LOOPBACK}:{port} ({exc.strerror}): "
                                       "pass another --port") from None
        sock.bind((LOOPBACK, 0))
    sock.listen(128)
    return sock


def browser_available() -> bool:
    """Whether a graphical browser can be opened (no display on Linux: no)."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY")
                                                 or os.environ.get("WAYLAND_DISPLAY")):
        return False
    import webbrowser

    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True


def _open_when_up(server: object, url: str) -> None:
    deadline = time.monotonic() + 30
    while not getattr(server, "started", False):
        if time.monotonic() > deadline:
            return
        time.sleep(0.1)
    if browser_available():
        import webbrowser

        webbrowser.open(url)
    else:
        click.echo(f"No browser on this machine: open {url} yourself.", err=True)
