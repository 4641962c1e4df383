"""tracklet.Histogram values and tracklet.watch: histograms read back through the Api."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from integration_helpers import history, need, one_run

import tracklet
from tracklet import errors


def media_rows(data: Path, project: str) -> list[dict[str, Any]]:
    with tracklet.Api(data) as api:
        run = next(iter(api.runs(project)))
        return [{k: v for k, v in row.items() if k != "_timestamp"} for row in run.media()]


def test_histogram_from_a_sequence_and_from_numpy() -> None:
    h = tracklet.Histogram([1, 2, 2, 3, 3, 3], num_bins=3)
    assert (h.histogram, h.bins) == ([1, 2, 3], [1.0, pytest.approx(5 / 3),
                                               pytest.approx(7 / 3), 3.0])
    counts, edges = np.histogram(np.arange(10), bins=5)
    h = tracklet.Histogram(np_histogram=(counts, edges))
    assert h.to_json() == {"_type": "histogram", "values": [2, 2, 2, 2, 2],
                           "bins": [0.0, 1.8, 3.6, 5.4, 7.2, 9.0]}
    nan_only = tracklet.Histogram([float("nan")], num_bins=2)
    assert nan_only.histogram == [0, 0]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({}, "needs a sequence of numbers"),
    ({"sequence": [1], "num_bins": 513}, "the limit is 512"),
    ({"sequence": [1], "num_bins": 0}, "num_bins must be a positive int"),
    ({"np_histogram": ([1, 2], [0, 1])}, "one more edge than counts"),
    ({"np_histogram": 5}, "must be a pair"),
    ({"sequence": ["a"]}, "must contain only numbers"),
])
def test_histogram_rejects_bad_input(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        tracklet.Histogram(**kwargs)


def test_logged_histograms_read_back_at_their_steps(clean_session: Path) -> None:
    run = tracklet.init(project="hist")
    for step in range(3):
        tracklet.log({"loss": 1.0 / (step + 1),
                      "weights": {"fc": tracklet.Histogram(np.arange(4.0) * (step + 1),
                                                           num_bins=2)}})
    tracklet.log({"late": tracklet.Histogram([5.0], num_bins=1)}, step=1)  # merges into 1
    tracklet.log({"late": tracklet.Histogram([6.0, 7.0], num_bins=1)}, step=1)  # last wins
    run.finish()

    assert media_rows(clean_session, "hist") == [
        {"_step": 0, "weights/fc": {"_type": "histogram", "values": [2, 2],
                                    "bins": [0.0, 1.5, 3.0]}},
        {"_step": 1, "weights/fc": {"_type": "histogram", "values": [2, 2],
                                    "bins": [0.0, 3.0, 6.0]},
         "late": {"_type": "histogram", "values": [2], "bins": [6.0, 7.0]}},
        {"_step": 2, "weights/fc": {"_type": "histogram", "values": [2, 2],
                                    "bins": [0.0, 4.5, 9.0]}},
    ]
    stored = one_run(clean_session, "hist")
    assert [r["loss"] for r in history(stored, clean_session)] == [1.0, 0.5, 1 / 3]
    with tracklet.Api(clean_session) as api:
        assert api.run(f"hist/{run.id}").media_keys() == ["late", "weights/fc"]


def test_a_bad_key_after_a_histogram_logs_nothing(clean_session: Path) -> None:
    run = tracklet.init(project="hist-bad")
    with pytest.raises(ValueError, match="reserved"):
        tracklet.log({"h": tracklet.Histogram([1.0]), "_bad": 1.0})
    tracklet.log({"x": 1.0})
    run.finish()
    assert media_rows(clean_session, "hist-bad") == []


def tiny_model() -> Any:
    torch = need("torch")
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))


def train(model: Any, steps: int) -> None:
    torch = need("torch")
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.randn(8, 3), torch.randn(8, 1)
    for _ in range(steps):
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        opt.zero_grad()
        tracklet.log({"loss": loss.item()})


def hooks_on(model: Any) -> int:
    grads = sum(len(p._backward_hooks or {}) for p in model.parameters())
    return len(model._forward_hooks) + grads


def test_watch_logs_per_layer_histograms_and_unwatch_removes_the_hooks(
        clean_session: Path) -> None:
    model = tiny_model()
    run = tracklet.init(project="watch")
    tracklet.watch(model, log="all", log_freq=2)
    assert hooks_on(model) == 5  # one forward hook, one per parameter
    train(model, 6)
    tracklet.unwatch(model)
    assert hooks_on(model) == 0
    train(model, 2)  # no more histograms
    run.finish()

    rows = media_rows(clean_session, "watch")
    assert [r["_step"] for r in rows] == [1, 3, 5]
    names = ["0.weight", "0.bias", "2.weight", "2.bias"]
    expected = {f"{kind}/{n}" for kind in ("parameters", "gradients") for n in names}
    for row in rows:
        assert set(row) - {"_step"} == expected
        assert sum(row["parameters/0.weight"]["values"]) == 12  # every element binned
        assert sum(row["gradients/2.bias"]["values"]) == 1
        assert len(row["gradients/0.weight"]["bins"]) == 65
    params = dict(model.named_parameters())
    final = rows[-1]["parameters/2.bias"]["bins"]  # one value: a bin around it
    assert final[0] < params["2.bias"].item() < final[-1]


def test_finish_removes_the_hooks_and_gradients_is_the_default(clean_session: Path) -> None:
    model = tiny_model()
    run = tracklet.init(project="watch-finish")
    run.watch(model, log_freq=1)
    assert hooks_on(model) == 4
    train(model, 2)
    run.finish()
    assert hooks_on(model) == 0
    rows = media_rows(clean_session, "watch-finish")
    assert [r["_step"] for r in rows] == [0, 1]
    assert all(k.startswith("gradients/") for r in rows for k in r if k != "_step")


def test_watch_needs_a_run_and_valid_arguments() -> None:
    model = tiny_model()
    with pytest.raises(errors.NotInitializedError, match=r"tracklet.init\(\)"):
        tracklet.watch(model)
    run = tracklet.init(project="watch-bad")
    with pytest.raises(ValueError, match="log must be one of gradients, parameters, all"):
        tracklet.watch(model, log="weights")
    with pytest.raises(ValueError, match="log_freq must be a positive int"):
        tracklet.watch(model, log_freq=0)
    with pytest.raises(TypeError, match=r"torch\.nn\.Module"):
        tracklet.watch(object())
    run.finish()


def test_histograms_reach_a_server_and_read_back_over_http(tmp_path: Path, clean_session: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from servers import KEY, ThreadServer
    from tracklet.store.base import RunRef
    from tracklet.store.sql.engine import sqlite_url
    from tracklet.store.sql.store import SqlMetadataStore

    monkeypatch.setenv("TRACKLET_CONFIG_DIR", str(tmp_path / "config"))
    with ThreadServer(tmp_path / "server.db") as server:
        run = tracklet.init(project="hist-online", mode="online",
                            settings={"base_url": server.base_url, "api_key": KEY})
        tracklet.log({"h": tracklet.Histogram([1.0, 2.0, 2.0], num_bins=2), "x": 1.0})
        run.finish()
        assert run.finish_status is not None and run.finish_status.pending == 0
        with tracklet.Api(server.base_url, api_key=KEY) as api:
            remote = api.run(f"{run.entity}/hist-online/{run.id}")
            assert remote.media_keys() == ["h"]
            rows = remote.media()
            assert [(r["_step"], r["h"]) for r in rows] == [
                (0, {"_type": "histogram", "values": [1, 2], "bins": [1.0, 1.5, 2.0]})]
            assert remote.media(keys=["other"]) == []
        tracklet.init(project="hist-online", id=run.id, mode="online", resume="must",
                      settings={"base_url": server.base_url, "api_key": KEY})
        tracklet.log({"h": tracklet.Histogram([3.0]), "g": tracklet.Histogram([4.0])})
        tracklet.finish()
        import httpx

        url = f"{server.base_url}/api/v1/runs/{run.entity}/hist-online/{run.id}/media"
        auth = {"Authorization": f"Bearer {KEY}"}
        first = httpx.get(url, params={"limit": 2}, headers=auth).json()
        assert [(i["key"], i["step"]) for i in first["items"]] == [("h", 0), ("g", 1)]
        rest = httpx.get(url, params={"limit": 2, "offset": first["next_offset"]},
                         headers=auth).json()
        assert ([(i["key"], i["step"]) for i in rest["items"]], rest["next_offset"]) == (
            [("h", 1)], None)
        refused = httpx.get(url, params={"limit": 0}, headers=auth)
        assert refused.status_code == 400
        assert httpx.get(url).status_code == 401
    store = SqlMetadataStore(sqlite_url(tmp_path / "server.db"))
    try:
        stored = store.read_media(RunRef(run.entity, "hist-online", run.id))
    finally:
        store.close()
    assert [(m.key, m.step) for m in stored] == [("h", 0), ("g", 1), ("h", 1)]
    assert stored[0].data == {"_type": "histogram", "values": [1, 2], "bins": [1.0, 1.5, 2.0]}
