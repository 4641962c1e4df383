"""`tracklet user create` and `tracklet server --init-admin` make accounts whose keys work."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from tracklet.cli.main import main
from tracklet.cli.user import init_admin
from tracklet.store.sql.accounts import SqlAccountStore
from tracklet.store.sql.engine import sqlite_url


def test_user_create_prints_a_working_key_once(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "server.db")
    made = CliRunner().invoke(main, ["user", "create", "alice", "--admin",
                                     "--password-stdin", "--db", url],
                              input="a long password\n")
    assert made.exit_code == 0, made.output
    key = made.stdout.strip().splitlines()[-1]
    again = CliRunner().invoke(main, ["user", "create", "alice", "--db", url])
    assert again.exit_code == 1 and "taken" in again.output
    short = CliRunner().invoke(main, ["user", "create", "bob", "--password-stdin",
                                      "--db", url], input="short\n")
    assert short.exit_code == 1 and "8 characters" in short.output
    accounts = SqlAccountStore(url)
    try:
        user = accounts.user_for_key(key)
        assert user is not None and user.username == "alice" and user.is_admin
        assert accounts.check_login("alice", "a long password") is not None
        assert accounts.check_login("alice", "wrong") is None
    finally:
        accounts.close()


def test_init_admin_creates_the_first_admin_only(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "server.db")
    key = init_admin(url)
    assert key is not None and init_admin(url) is None
    accounts = SqlAccountStore(url)
    try:
        user = accounts.user_for_key(key)
        assert user is not None and user.username == "admin" and user.is_admin
        assert accounts.count_users() == 1
    finally:
        accounts.close()


def test_user_list_and_passwd(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "server.db")
    for args in (["alice", "--admin"], ["bob"]):
        assert CliRunner().invoke(main, ["user", "create", *args, "--db", url]).exit_code == 0
    listed = CliRunner().invoke(main, ["user", "list", "--db", url])
    assert listed.exit_code == 0, listed.output
    rows = [line.split("\t")[:2] for line in listed.stdout.splitlines()]
    assert rows == [["alice", "admin"], ["bob", "user"]]
    changed = CliRunner().invoke(main, ["user", "passwd", "bob", "--db", url],
                                 input="a brand new password\n")
    assert changed.exit_code == 0, changed.output
    short = CliRunner().invoke(main, ["user", "passwd", "bob", "--db", url], input="short\n")
    assert short.exit_code == 1 and "at least 8 characters" in short.output
    nobody = CliRunner().invoke(main, ["user", "passwd", "zed", "--db", url],
                                input="long enough pw\n")
    assert nobody.exit_code == 1 and "no user 'zed'" in nobody.output
    accounts = SqlAccountStore(url)
    try:
        assert accounts.check_login("bob", "a brand new password") is not None
    finally:
        accounts.close()
