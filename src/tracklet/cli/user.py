"""``tracklet user``: accounts in a tracking server's database (run on the server host).

``tracklet user create`` makes a user (``--admin`` for a site admin) and prints a new API
key for them once; ``--password-stdin`` also sets a password for browser login.
``tracklet user list`` lists the users; ``tracklet user passwd`` sets a password.
"""

from __future__ import annotations

import sys

import click

from tracklet.cli.context import CliContext, pass_cli


def server_db_url(cli: CliContext, db_url: str | None) -> str:
    """``db_url``, else the SQLite store of the data directory (as `tracklet server`)."""
    if db_url:
        return db_url
    root = cli.settings.root
    root.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(root / 'tracklet.db').absolute()}"


DB_OPTION = click.option("--db", "db_url", metavar="URL", envvar="TRACKLET_SERVER_DB_URL",
                         help="The server's database URL. Default: the SQLite store of "
                              "--dir.")


@click.group("user")
def user() -> None:
    """Manage the accounts of a tracking server's database."""


@user.command("create")
@click.argument("username")
@click.option("--admin", is_flag=True, help="Make the user a site admin (reads and writes "
                                            "every project, creates users).")
@click.option("--password-stdin", is_flag=True,
              help="Read a password for browser login from the first line of stdin.")
@DB_OPTION
@pass_cli
def create(cli: CliContext, username: str, admin: bool, password_stdin: bool,
           db_url: str | None) -> None:
    """Create the user USERNAME and print an API key for them (shown this once)."""
    from tracklet.store.sql.accounts import SqlAccountStore

    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if len(password) < 8:
            raise click.ClickException("the password must have at least 8 characters")
    accounts = SqlAccountStore(server_db_url(cli, db_url))
    try:
        accounts.create_user(username, password=password, admin=admin)
        _key, secret = accounts.create_api_key(username, "created by tracklet user create")
    finally:
        accounts.close()
    click.echo(f"created {'admin ' if admin else ''}user {username}; API key (shown once, "
               "use it with `tracklet login`):", err=True)
    click.echo(secret)


@user.command("list")
@DB_OPTION
@pass_cli
def list_users(cli: CliContext, db_url: str | None) -> None:
    """List the users: name, site admin or not, created when."""
    from tracklet.cli.formatting import format_time
    from tracklet.store.sql.accounts import SqlAccountStore

    accounts = SqlAccountStore(server_db_url(cli, db_url))
    try:
        users = accounts.list_users()
    finally:
        accounts.close()
    for u in users:
        click.echo(f"{u.username}\t{'admin' if u.is_admin else 'user'}\t"
                   f"{format_time(u.created_at)}")


@user.command("passwd")
@click.argument("username")
@DB_OPTION
@pass_cli
def passwd(cli: CliContext, username: str, db_url: str | None) -> None:
    """Set the browser-login password of USERNAME from the first line of stdin; the user's
    browser sessions end."""
    from tracklet.errors import TrackletError
    from tracklet.store.sql.accounts import SqlAccountStore

    password = sys.stdin.readline().rstrip("\r\n")
    accounts = SqlAccountStore(server_db_url(cli, db_url))
    try:
        accounts.set_password(username, password)
    except TrackletError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        accounts.close()
    click.echo(f"password of {username} set", err=True)


def init_admin(db_url: str) -> str | None:
    """Create the user ``admin`` (a site admin) when the database has no user yet; return
    a new API key for it, or None when users exist."""
    from tracklet.store.sql.accounts import SqlAccountStore

    accounts = SqlAccountStore(db_url)
    try:
        if accounts.count_users():
            return None
        accounts.create_user("admin", admin=True)
        return accounts.create_api_key("admin", "created by --init-admin")[1]
    finally:
        accounts.close()
