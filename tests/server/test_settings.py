"""Server settings from the environment, as each uvicorn worker reads them."""

from __future__ import annotations

import pytest

from tracklet.server import ServerSettings


def test_environment_round_trip() -> None:
    settings = ServerSettings(db_url="sqlite:///x.db", api_keys=["a", " b "], port=9000,
                              public_reads=True, max_body_bytes=4096, heartbeat_timeout=2.5)
    assert settings.api_keys == ("a", "b")
    assert ServerSettings.from_env(settings.to_env()) == settings


def test_environment_values_and_overrides() -> None:
    env = {"TRACKLET_SERVER_DB_URL": "sqlite:///a.db", "TRACKLET_SERVER_API_KEYS": "k1,,k2",
           "TRACKLET_SERVER_PUBLIC_READS": "yes", "TRACKLET_SERVER_MAX_BATCH_RECORDS": "7"}
    settings = ServerSettings.from_env(env, port=1234, api_keys=None)
    assert settings.api_keys == ("k1", "k2")
    assert (settings.public_reads, settings.max_batch_records, settings.port) == (True, 7, 1234)
    assert ServerSettings.from_env(env, db_url="sqlite:///b.db").db_url == "sqlite:///b.db"


@pytest.mark.parametrize(("env", "message"), [
    ({}, "TRACKLET_SERVER_DB_URL"),
    ({"TRACKLET_SERVER_DB_URL": "x", "TRACKLET_SERVER_PORT": "eighty"}, "TRACKLET_SERVER_PORT"),
    ({"TRACKLET_SERVER_DB_URL": "x", "TRACKLET_SERVER_PUBLIC_READS": "maybe"}, "PUBLIC_READS"),
    ({"TRACKLET_SERVER_DB_URL": "x", "TRACKLET_SERVER_MAX_BATCH_RECORDS": "0"}, "at least"),
])
def test_bad_settings_say_which(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ServerSettings.from_env(env)
