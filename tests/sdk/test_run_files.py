"""``tracklet.save``: files kept with a run, listed and downloaded through ``Api`` and the
HTTP API, locally and on a server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import tracklet
from servers import KEY, ThreadServer
from tracklet import errors
from tracklet.sdk.artifacts.client import reset_contexts

QUIET = {"system_metrics": False, "console_capture": False}


@pytest.fixture(autouse=True)
def no_run(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("TRACKLET_") and name != "TRACKLET_CONFIG_DIR":
            monkeypatch.delenv(name)
    while tracklet.run is not None:
        tracklet.finish()
    yield
    while tracklet.run is not None:
        tracklet.finish()
    reset_contexts()  # close the artifact clients this test opened


def saved(api: tracklet.Api, path: str, root: Path) -> dict[str, str]:
    """Every saved file of the run, downloaded: name -> text."""
    run = api.run(path)
    return {f.path: Path(f.download(root / f.path.replace("/", "_"))).read_text()
            for f in run.files()}


def test_saved_files_are_kept_with_the_run(tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "configs").mkdir(parents=True)
    (work / "configs" / "model.yaml").write_text("layers: 2\n")
    (work / "configs" / "data.yaml").write_text("rows: 100\n")
    (work / "train.log").write_text("epoch 1\n")
    run = tracklet.init(project="files", dir=tmp_path / "data", settings=QUIET)
    assert sorted(tracklet.save(str(work / "configs" / "*.yaml"), base_path=work,
                                policy="now")) == ["configs/data.yaml", "configs/model.yaml"]
    assert run.save(work / "train.log") == ["train.log"]  # live: now and again at the end
    with (work / "train.log").open("a") as log:
        log.write("epoch 2\n")  # after saving: the finish saves it again
    tracklet.finish()
    with tracklet.Api(tmp_path / "data") as api:
        assert saved(api, run.path, tmp_path / "out") == {
            "configs/data.yaml": "rows: 100\n", "configs/model.yaml": "layers: 2\n",
            "train.log": "epoch 1\nepoch 2\n"}
        assert api.run(run.path).file("train.log").size == len("epoch 1\nepoch 2\n")
        with pytest.raises(errors.NotFoundError, match=r"saved no file 'nope\.txt'"):
            api.run(run.path).file("nope.txt")


def test_a_run_that_saved_nothing_has_no_files(tmp_path: Path) -> None:
    run = tracklet.init(project="files", dir=tmp_path / "data", settings=QUIET)
    tracklet.log({"loss": 1.0})
    tracklet.finish()
    with tracklet.Api(tmp_path / "data") as api:
        assert api.run(run.path).files() == []


def test_save_explains_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(errors.NotInitializedError, match="init"):
        tracklet.save("*.txt")
    tracklet.init(project="files", dir=tmp_path / "data", settings=QUIET)
    assert tracklet.save(str(tmp_path / "missing-*.txt")) == []
    assert "no file matches" in capsys.readouterr().err
    (tmp_path / "a.txt").write_text("a")
    with pytest.raises(errors.ValidationError, match="policy must be one of"):
        tracklet.save(str(tmp_path / "a.txt"), policy="sometimes")
    with pytest.raises(errors.ValidationError, match="not under base_path"):
        tracklet.save(str(tmp_path / "a.txt"), base_path=tmp_path / "elsewhere")


def test_saved_files_on_a_server(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("# results\n")
    with ThreadServer(tmp_path / "server.db") as server:
        run = tracklet.init(project="files", dir=tmp_path / "client", mode="online",
                            settings={"base_url": server.base_url, "api_key": KEY, **QUIET})
        tracklet.save(str(tmp_path / "notes.md"), policy="end")
        tracklet.finish(timeout=30)
        auth = {"Authorization": f"Bearer {KEY}"}
        base = f"{server.base_url}/api/v1/runs/{run.path}/files"
        listed = httpx.get(base, headers=auth).json()["items"]
        assert [(f["path"], f["size"]) for f in listed] == [("notes.md", 10)]
        content = httpx.get(f"{base}/notes.md", headers=auth, follow_redirects=True)
        assert content.status_code == 200 and content.text == "# results\n"
        assert httpx.get(f"{base}/other.md", headers=auth).status_code == 404
        assert httpx.get(base).status_code == 401
        with tracklet.Api(server.base_url, api_key=KEY) as api:
            assert saved(api, run.path, tmp_path / "down") == {"notes.md": "# results\n"}


def test_restore_brings_back_a_saved_file(tmp_path: Path) -> None:
    (tmp_path / "weights.txt").write_text("w=1\n")
    first = tracklet.init(project="files", dir=tmp_path / "data", settings=QUIET)
    tracklet.save(str(tmp_path / "weights.txt"), policy="now")
    tracklet.finish()
    again = tracklet.init(project="files", dir=tmp_path / "data", settings=QUIET,
                          reinit=True)
    with tracklet.restore("weights.txt", run_path=first.path) as restored:
        assert restored.read() == "w=1\n"
    assert Path(again.dir, "weights.txt").read_text() == "w=1\n"  # in the current run's dir
    Path(again.dir, "weights.txt").write_text("changed locally\n")
    with tracklet.restore("weights.txt", run_path=first.path) as kept:
        assert kept.read() == "changed locally\n"  # there already: not fetched again
    with tracklet.restore("weights.txt", run_path=first.path, replace=True) as fresh:
        assert fresh.read() == "w=1\n"
    assert tracklet.restore("nothing.txt", run_path=first.path) is None
    tracklet.finish()
    with pytest.raises(errors.NotInitializedError, match="run_path"):
        tracklet.restore("weights.txt")
