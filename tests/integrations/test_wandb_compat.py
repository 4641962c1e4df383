"""`import tracklet as wandb`: a typical W&B script runs unchanged, WANDB_* variables are
honoured after TRACKLET_* ones, and what is missing says so."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from integration_helpers import history, one_run, runs_of

import tracklet
from tracklet.sdk import credentials

WANDB_SCRIPT = """
import json, os, sys
import tracklet as wandb

run = wandb.init(project="wb-script", name="baseline", tags=["w&b"], notes="port",
                 config={"lr": 0.01, "epochs": 3, "arch": {"layers": 2}},
                 settings=wandb.Settings(start_method="thread", console="off",
                                         x_disable_stats=True),
                 save_code=True, reinit="finish_previous", anonymous="never")
assert wandb.run is run and wandb.config.lr == 0.01
assert wandb.config["arch"] == {"layers": 2} and wandb.config.get("missing", 7) == 7
wandb.config.update({"batch_size": 32})
wandb.config.update({"lr": 0.02}, allow_val_change=True)
wandb.define_metric("epoch")
wandb.define_metric("val/*", step_metric="epoch", summary="min", step_sync=True)
for epoch in range(wandb.config.epochs):
    wandb.log({"train/loss": 1.0 / (epoch + 1)}, commit=False)
    wandb.log({"val/loss": 2.0 / (epoch + 1), "epoch": epoch,
               "grads": wandb.Histogram([epoch, epoch + 1], num_bins=2)})
wandb.summary["best_acc"] = 0.9
with open("model.txt", "w") as f:
    f.write("weights")
artifact = wandb.Artifact("model", type="model")
artifact.add_file("model.txt", name="weights.txt")
wandb.log_artifact(artifact, aliases=["best"])
wandb.termlog("done training")
wandb.termwarn("a warning")
print(json.dumps({"id": run.id, "dir_exists": os.path.isdir(run.dir)}))
wandb.finish()
"""


def run_script(tmp_path: Path, code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(code))
    child_env = {k: v for k, v in os.environ.items()
                 if not k.startswith(("TRACKLET_", "WANDB_"))}
    child_env.update(TRACKLET_CONFIG_DIR=os.environ["TRACKLET_CONFIG_DIR"], **env)
    return subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=child_env,
                          capture_output=True, text=True, timeout=120)


def test_a_wandb_script_runs_unchanged_and_reads_back(tmp_path: Path) -> None:
    data = tmp_path / "wandb-dir"
    out = run_script(tmp_path, WANDB_SCRIPT, {"WANDB_DIR": str(data)})
    assert out.returncode == 0, out.stderr
    assert "tracklet: done training" in out.stderr
    assert "tracklet: WARNING a warning" in out.stderr

    run = one_run(data, "wb-script")
    assert (run.name, run.tags, run.notes, run.state) == ("baseline", ["w&b"], "port",
                                                          "finished")
    assert run.config == {"lr": 0.02, "epochs": 3, "arch": {"layers": 2}, "batch_size": 32}
    rows = history(run, data)
    assert rows == [{"_step": e, "train/loss": 1.0 / (e + 1), "val/loss": 2.0 / (e + 1),
                     "epoch": float(e)} for e in range(3)]
    assert run.summary["val/loss"] == {"min": 2.0 / 3}
    assert run.summary["best_acc"] == 0.9
    assert run.summary["train/loss"] == 1.0 / 3
    with tracklet.Api(data) as api:
        stored = api.run(f"wb-script/{run.id}")
        assert [r["grads"]["values"] for r in stored.media()] == [[1, 1]] * 3
        model = api.artifact("wb-script/model:best")
        folder = Path(model.download(tmp_path / "dl"))
    assert (folder / "weights.txt").read_text() == "weights"


@pytest.mark.parametrize(("wandb_mode", "mode"), [("offline", "offline"),
                                                  ("dryrun", "offline"),
                                                  ("disabled", "disabled")])
def test_wandb_mode(monkeypatch: pytest.MonkeyPatch, clean_session: Path, wandb_mode: str,
                    mode: str) -> None:
    monkeypatch.setenv("WANDB_MODE", wandb_mode)
    run = tracklet.init(project="modes")
    assert run.settings.mode == mode
    assert run.disabled is (mode == "disabled")
    tracklet.log({"x": 1.0})
    run.finish()
    assert not (clean_session / "tracklet.db").exists()  # nothing in the local store


def test_tracklet_variables_win_over_wandb_ones(monkeypatch: pytest.MonkeyPatch,
                                               clean_session: Path, tmp_path: Path) -> None:
    monkeypatch.setenv("WANDB_MODE", "disabled")
    monkeypatch.setenv("TRACKLET_MODE", "local")
    monkeypatch.setenv("WANDB_PROJECT", "from-wandb")
    monkeypatch.setenv("WANDB_DIR", str(tmp_path / "elsewhere"))
    run = tracklet.init()
    assert (run.settings.mode, run.project) == ("local", "from-wandb")
    assert run.settings.root == clean_session  # TRACKLET_DIR
    run.finish()
    monkeypatch.setenv("TRACKLET_PROJECT", "from-tracklet")
    run = tracklet.init()
    assert run.project == "from-tracklet"
    run.finish()
    assert [r.project for r in runs_of(clean_session, "from-wandb")] == ["from-wandb"]


def test_wandb_run_id_resume_and_name(monkeypatch: pytest.MonkeyPatch,
                                      clean_session: Path) -> None:
    monkeypatch.setenv("WANDB_RUN_ID", "resumable1")
    monkeypatch.setenv("WANDB_NAME", "first-name")
    monkeypatch.setenv("WANDB_RUN_GROUP", "grp")
    monkeypatch.setenv("WANDB_TAGS", "a, b")
    run = tracklet.init(project="resume")
    tracklet.log({"loss": 1.0})
    run.finish()
    monkeypatch.setenv("WANDB_RESUME", "must")
    monkeypatch.delenv("WANDB_NAME")
    run = tracklet.init(project="resume")
    assert (run.id, run.name, run.step) == ("resumable1", "first-name", 1)
    tracklet.log({"loss": 0.5})
    run.finish()
    stored = one_run(clean_session, "resume")
    assert (stored.group, stored.tags) == ("grp", ["a", "b"])
    assert [r["loss"] for r in history(stored, clean_session)] == [1.0, 0.5]
    monkeypatch.setenv("WANDB_RUN_ID", "missing99")
    with pytest.raises(tracklet.TrackletError, match="cannot resume run missing99"):
        tracklet.init(project="resume")


def test_settings_in_wandb_shapes(clean_session: Path) -> None:
    class WandbSettingsLike:  # what a real wandb.Settings (pydantic) hands over
        def model_dump(self, exclude_unset: bool = False) -> dict[str, Any]:
            return {"mode": "offline", "console": "off", "start_method": "thread",
                    "x_some_new_wandb_setting": 1}

    run = tracklet.init(project="s", settings=WandbSettingsLike())
    assert (run.settings.mode, run.settings.console_capture) == ("offline", False)
    run.finish()
    run = tracklet.init(project="s", settings={"_disable_stats": True, "silent": True})
    assert run.settings.system_metrics is False
    run.finish()
    with pytest.raises(TypeError, match="unknown setting 'no_such_setting'"):
        tracklet.init(settings={"no_such_setting": 1})
    with pytest.raises(TypeError, match="unknown setting 'bogus'"):
        tracklet.Settings(bogus=1)
    settings = tracklet.Settings(start_method="thread", mode="offline")
    assert settings.mode == "offline"


@pytest.mark.parametrize(("name", "feature"), [("controller", "controllers"),
                                               ("Audio", "audio"), ("Video", "video")])
def test_missing_wandb_names_say_what_is_missing(name: str, feature: str) -> None:
    with pytest.raises(AttributeError, match=f"{feature}.*not supported yet.*wandb-compat"):
        getattr(tracklet, name)
    assert not hasattr(tracklet, name)


def test_login_stores_a_key_for_a_host(tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKLET_CONFIG_DIR", str(tmp_path / "config"))  # this test's own
    assert tracklet.login() is True
    assert tracklet.login(key="tk_secret", host="http://127.0.0.1:9") is True
    stored = credentials.read_credentials(credentials.config_dir())
    assert stored.key_for("http://127.0.0.1:9") == "tk_secret"


def test_term_functions_take_wandbs_keywords(capsys: pytest.CaptureFixture[str]) -> None:
    tracklet.termwarn("only once, please", repeat=False)
    tracklet.termwarn("only once, please", repeat=False)
    tracklet.termlog("no prefix", prefix=False)
    tracklet.termerror("bad", newline=False)
    err = capsys.readouterr().err
    assert err.count("tracklet: WARNING only once, please\n") == 1
    assert "\nno prefix\n" in err
    assert err.endswith("tracklet: ERROR bad")
