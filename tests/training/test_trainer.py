"""The trainer on the tiny task: exact resume, run-folder refusal, NaN stop, mixed data sets, export."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors import safe_open

from panoconv.errors import OutputExistsError
from panoconv.training import TrainingDiverged, export_weights, train
from panoconv.training.config import DataSpec, TrainConfig
from panoconv.training.snapshots import latest_snapshot, load_snapshot
from tests.training import _tiny
from tests.training._tiny import tiny_config, write_list


def test_resumed_run_reproduces_uninterrupted_losses_exactly(tmp_path):
    # 12 samples / batch 4 = 3 steps per epoch, 3 epochs = 9 steps; interrupt mid-epoch at step 4.
    full = train(tiny_config(tmp_path, out=str(tmp_path / "full"), epochs=3, snapshot_every=100))
    split = dict(out=str(tmp_path / "split"), epochs=3, snapshot_every=2)
    first = train(tiny_config(tmp_path, **split, max_steps=4))
    assert first.step == 4 and latest_snapshot(tmp_path / "split").name == "step_00000004.pt"
    rest = train(tiny_config(tmp_path, **split, resume=True))
    assert len(full.losses) == 9 and rest.step == 9
    assert first.losses + rest.losses == full.losses  # bitwise equal, step by step
    a = load_snapshot(latest_snapshot(tmp_path / "full"))["model"]
    b = load_snapshot(latest_snapshot(tmp_path / "split"))["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert load_snapshot(latest_snapshot(tmp_path / "split"))["scheduler"]["last_epoch"] == 9


def test_run_folder_with_another_run_is_refused_unless_resume_or_force(tmp_path):
    train(tiny_config(tmp_path, epochs=1))
    with pytest.raises(OutputExistsError, match=r"holds a different run \(lr: 0.01 -> 0.02\)"):
        train(tiny_config(tmp_path, epochs=1, lr=0.02))
    with pytest.raises(OutputExistsError, match="already holds this run"):
        train(tiny_config(tmp_path, epochs=1))
    forced = train(tiny_config(tmp_path, epochs=1, lr=0.02, force=True))
    assert forced.step == 3
    assert json.loads((tmp_path / "run" / "config.json").read_text())["lr"] == 0.02
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(OutputExistsError, match="not a panoconv run folder"):
        train(tiny_config(tmp_path, out=str(tmp_path / "other")))


def test_nan_loss_stops_with_message_and_keeps_last_good_snapshot(tmp_path, monkeypatch):
    monkeypatch.setattr(_tiny, "NAN_AT_CALL", 5)
    message = r"non-finite loss at step 5 \(epoch 1\).*last good snapshot: .*step_00000004\.pt"
    with pytest.raises(TrainingDiverged, match=message):
        train(tiny_config(tmp_path, epochs=3, snapshot_every=2))
    ckpt = load_snapshot(latest_snapshot(tmp_path / "run"))
    assert ckpt["step"] == 4
    assert all(torch.isfinite(v).all() for v in ckpt["model"].values())
    assert not (tmp_path / "run" / "model.safetensors").exists()


def test_two_datasets_are_interleaved_one_warp_per_batch(tmp_path):
    _tiny.SEEN_WARPS.clear()
    specs = (DataSpec(write_list(tmp_path / "pano.txt", 8), warp="panorama"),
             DataSpec(write_list(tmp_path / "flat.txt", 12), warp="rectilinear", fov_deg=90.0))
    result = train(tiny_config(tmp_path, data=specs, epochs=1, batch_size=4))
    assert result.step == 2 + 3
    seen = [s.pop() for s in _tiny.SEEN_WARPS if len(s) == 1]
    assert len(seen) == len(_tiny.SEEN_WARPS) == 5
    assert sorted(seen) == ["panorama"] * 2 + ["rectilinear"] * 3


def test_validation_loss_each_epoch_and_exported_weights(tmp_path):
    val = (DataSpec(write_list(tmp_path / "val.txt", 5)),)
    result = train(tiny_config(tmp_path, epochs=2, val_data=val))
    assert len(result.val_losses) == 2 and set(result.val_losses[0]) == {"total", "mse", "l1"}
    assert result.val_losses[1]["total"] < result.val_losses[0]["total"]
    with safe_open(str(result.weights), "pt") as f:
        meta = f.metadata()
        assert meta["architecture"] == "tiny" and meta["steps"] == "6" and meta["format"] == "pt"
        assert meta["config_hash"] == TrainConfig.load(tmp_path / "run" / "config.json").config_hash()
    out = export_weights(tmp_path / "run", tmp_path / "again.safetensors")
    with safe_open(str(out), "pt") as f:
        assert f.metadata()["steps"] == "6" and "0.weight" in f.keys()  # noqa: SIM118  (safe_open handle: no __contains__)
    lines = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [x["step"] for x in lines if "loss/total" in x] == [1, 2, 3, 4, 5, 6]
    assert sum("val/total" in x for x in lines) == 2
    assert json.loads((tmp_path / "run" / "config.json").read_text())["threads"] == 1


@pytest.mark.slow
def test_monodepth_resume_on_synthetic_stereo_is_exact(tmp_path):
    """The real network, monodepth loss (equirect warp), TF1Adam and halving schedule survive a resume."""
    from panoconv.data.synth import SynthRequest, generate

    data = generate(SynthRequest(tmp_path / "synth", kind="equirect", count=6, height=128, width=256,
                                 progress=False))
    base = TrainConfig(data=(DataSpec(str(data / "train.txt"), warp="equirectangular"),), batch_size=2,
                       epochs=2, height=128, width=256, progress=False, threads=1, seed=2, snapshot_every=1)
    full = train(base.replace(out=str(tmp_path / "full")))
    first = train(base.replace(out=str(tmp_path / "split"), max_steps=1))
    rest = train(base.replace(out=str(tmp_path / "split"), resume=True))
    assert len(full.losses) == 4 and all(0.5 < x < 10 for x in full.losses)
    assert first.losses + rest.losses == full.losses


def test_run_folder_that_is_or_holds_the_data_is_refused(tmp_path):
    from panoconv.errors import OutputError

    data = tmp_path / "data"
    for out in (data, tmp_path):  # the data root itself, a folder holding it
        with pytest.raises(OutputError, match=r"run folder (is|contains) the input"):
            train(tiny_config(data, out=str(out), force=True))
    assert sorted(p.name for p in data.iterdir()) == ["a.txt"]  # nothing cleared, nothing written
    with pytest.raises(OutputError, match="run folder is the input"):
        train(tiny_config(data, out=str(data / "run"), init=str(data / "run")))
