"""``tracklet login``: check an API key against a server and remember it (0600 file)."""

from __future__ import annotations

import os

import click

from tracklet.errors import AuthError, TrackletError

DEFAULT_HOST = "http://127.0.0.1:8080"


@click.command()
@click.option("--host", metavar="URL",
              help="The server, e.g. http://tracker:8080. Default: TRACKLET_BASE_URL, else "
                   f"the server of the last login, else {DEFAULT_HOST}.")
@click.option("--key", metavar="KEY",
              help="The API key. Default: asked for (the input is hidden).")
@click.option("--relogin", is_flag=True,
              help="Ask for a key even when one is stored for this server.")
def login(host: str | None, key: str | None, relogin: bool) -> None:
    """Log in to a Tracklet server: check an API key and store it.

    The key is checked against the server, then written with the server's URL to
    credentials.json in the config directory (TRACKLET_CONFIG_DIR, else
    ~/.config/tracklet), readable by you only (mode 0600). Runs then log to that server
    (online mode) unless they ask for another mode.
    """
    from tracklet.core.urls import normalize_url
    from tracklet.sdk import credentials

    directory = credentials.config_dir()
    stored = credentials.read_credentials(directory)
    raw = host or os.environ.get("TRACKLET_BASE_URL") or stored.base_url or DEFAULT_HOST
    try:
        url = normalize_url(raw)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--host") from None
    path = directory / credentials.FILENAME
    if key is None and not relogin:
        known = stored.key_for(url)
        if known is not None:
            _check(url, known, stored=True)
            if stored.base_url != url:
                credentials.store_key(directory, url, known)
            click.echo(f"already logged in to {url} (key in {path}); "
                       "`tracklet login --relogin` enters a new key")
            return
    if key is None:
        key = click.prompt(f"API key for {url} (the input is hidden)", hide_input=True)
    key = key.strip()
    if not key:
        raise click.ClickException("the API key is empty: paste the key the server gave you")
    _check(url, key)
    path = credentials.store_key(directory, url, key)
    click.echo(f"logged in to {url}; the API key is stored in {path} (readable by you only)")


def _check(url: str, key: str, *, stored: bool = False) -> None:
    """Ask the server for a page of projects with ``key``; fail with a clear line."""
    from tracklet.shipping.client import ServerClient

    with ServerClient(url, key, timeout=10.0) as client:
        try:
            client.request("GET", "/projects", params={"limit": 1})
        except AuthError:
            hint = ("run `tracklet login --relogin` to enter a new one" if stored else
                    "check that you copied the whole key, or ask for a new one; nothing "
                    "was stored")
            which = "the stored" if stored else "this"
            raise click.ClickException(f"the server at {url} refused {which} API key (401 "
                                       f"unauthorized): {hint}") from None
        except TrackletError as exc:
            raise click.ClickException(f"cannot log in to {url}: {exc.message}; nothing "
                                       "was stored") from None
