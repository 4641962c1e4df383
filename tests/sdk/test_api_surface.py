"""The public surface of ``import tracklet``: pinned names, a free import, errors before init."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

import tracklet
from tracklet import errors

PUBLIC = [
    "Api",
    "Artifact",
    "Histogram",
    "Image",
    "Run",
    "Settings",
    "Table",
    "TrackletError",
    "__version__",
    "agent",
    "config",
    "define_metric",
    "finish",
    "init",
    "log",
    "log_artifact",
    "login",
    "restore",
    "run",
    "save",
    "summary",
    "sweep",
    "termerror",
    "termlog",
    "termwarn",
    "unwatch",
    "use_artifact",
    "watch",
]


@pytest.fixture(autouse=True)
def no_active_run() -> Iterator[None]:
    while tracklet.run is not None:
        tracklet.finish()
    yield
    while tracklet.run is not None:
        tracklet.finish()


def test_all_is_pinned() -> None:
    assert sorted(tracklet.__all__) == PUBLIC
    assert sorted(dir(tracklet)) == PUBLIC


@pytest.mark.parametrize("name", [n for n in PUBLIC if n not in ("config", "summary")])
def test_every_public_name_resolves(name: str) -> None:
    getattr(tracklet, name)


def test_lazy_names_are_the_real_objects() -> None:
    from tracklet.sdk.api import Api
    from tracklet.sdk.termlog import termerror, termlog, termwarn

    assert tracklet.TrackletError is errors.TrackletError
    assert tracklet.Api is Api
    assert (tracklet.termlog, tracklet.termwarn, tracklet.termerror) == (termlog, termwarn,
                                                                         termerror)
    assert isinstance(tracklet.__version__, str) and tracklet.__version__


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_thing"):
        tracklet.no_such_thing  # noqa: B018


def test_import_loads_no_heavy_library() -> None:
    heavy = ["sqlalchemy", "alembic", "msgspec", "psutil", "numpy", "torch", "pandas",
             "pynvml", "rich", "click"]
    code = ("import json, sys, tracklet; "
            f"print(json.dumps([m for m in {heavy!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert json.loads(out.stdout) == []


def test_log_before_init_says_to_call_init() -> None:
    assert tracklet.run is None
    with pytest.raises(errors.NotInitializedError, match=r"init\(\)") as info:
        tracklet.log({"loss": 1.0})
    assert isinstance(info.value, errors.UsageError)
    assert isinstance(info.value, tracklet.TrackletError)
    assert info.value.code == "not_initialized"
    assert info.value.status == 400


def test_define_metric_before_init_raises() -> None:
    with pytest.raises(errors.NotInitializedError, match=r"init\(\)"):
        tracklet.define_metric("eval/*", summary="min")


@pytest.mark.parametrize("name", ["config", "summary"])
def test_config_and_summary_before_init_raise(name: str) -> None:
    obj = getattr(tracklet, name)
    with pytest.raises(errors.NotInitializedError, match=r"init\(\)"):
        obj["lr"]
    with pytest.raises(errors.NotInitializedError, match=r"init\(\)"):
        obj.lr  # noqa: B018
    with pytest.raises(errors.NotInitializedError):
        obj["lr"] = 1


def test_finish_before_init_is_harmless() -> None:
    tracklet.finish()
    assert tracklet.run is None


def test_error_tree_codes() -> None:
    expected = {
        errors.TrackletError: ("tracklet_error", 500),
        errors.UsageError: ("usage_error", 400),
        errors.NotInitializedError: ("not_initialized", 400),
        errors.RunFinishedError: ("run_finished", 400),
        errors.ValidationError: ("invalid_value", 400),
        errors.NotFoundError: ("not_found", 404),
        errors.ConflictError: ("conflict", 409),
        errors.StoreError: ("store_error", 503),
        errors.RunLogError: ("run_log_error", 500),
    }
    for cls, (code, status) in expected.items():
        assert issubclass(cls, errors.TrackletError)
        assert (cls.code, cls.status) == (code, status)
    assert issubclass(errors.ValidationError, ValueError)
    assert issubclass(errors.NotFoundError, LookupError)
    err = errors.NotFoundError("run x does not exist", details={"run": "x"})
    assert (err.message, err.details, str(err)) == ("run x does not exist", {"run": "x"},
                                                    "run x does not exist")
