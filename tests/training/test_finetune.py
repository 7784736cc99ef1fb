"""Fine-tuning changes only what it should: --freeze, lr schedule overrides, --disp-init, zero-lr runs."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from panoconv.arch import get_card
from panoconv.cli import main
from panoconv.converter.convert import ConvertRequest, convert
from panoconv.data.synth import SynthRequest, generate
from panoconv.evaluation.datasets import open_data
from panoconv.training import train
from panoconv.training.config import ConfigError, DataSpec, TrainConfig
from panoconv.training.disp_init import SCAN_FACTORS, head_biases, scan_factor, shift_head
from panoconv.training.freeze import freeze
from panoconv.training.registry import create_task
from panoconv.training.schedule import schedule_factor
from panoconv.weights import load_model, load_weights
from tests.training._tiny import tiny_config, write_list


# --- --freeze ------------------------------------------------------------------------------------
def test_freeze_parts_and_globs():
    model = get_card("monodepth-vgg").build()
    frozen = freeze(model, ["encoder"])
    assert len(frozen) == 28 and all(n.startswith("encoder.") for n in frozen)
    assert all(p.requires_grad == (not n.startswith("encoder.")) for n, p in model.named_parameters())
    heads = freeze(get_card("monodepth-vgg").build(), ["decoder.disp*"])
    assert sorted(heads) == sorted(f"decoder.disp{i}.{k}" for i in range(1, 5) for k in ("weight", "bias"))


def test_freeze_refuses_a_name_that_matches_nothing_or_everything():
    model = get_card("monodepth-vgg").build()
    refused = r"--freeze 'encodr' matches no parameter of monodepth-vgg; its parts are encoder, decoder"
    with pytest.raises(ConfigError, match=refused):
        freeze(model, ["encoder", "encodr"])
    assert all(p.requires_grad for p in model.parameters())  # nothing frozen by a refused request
    with pytest.raises(ConfigError, match="freezes every parameter"):
        freeze(model, ["encoder", "decoder"])


def test_frozen_parameters_stay_bitwise_equal_through_a_run(tmp_path):
    init = tmp_path / "init.safetensors"
    first = train(tiny_config(tmp_path, epochs=1, out=str(tmp_path / "r0")))
    init.write_bytes(first.weights.read_bytes())
    run = train(tiny_config(tmp_path, epochs=1, init=str(init), freeze=("0.*",), out=str(tmp_path / "r1")))
    before, _ = load_weights(init)
    after, _ = load_weights(run.weights)
    assert all(torch.equal(before[k], after[k]) for k in ("0.weight", "0.bias"))
    assert not torch.equal(before["2.weight"], after["2.weight"])  # the rest did train


# --- lr schedule ---------------------------------------------------------------------------------
def _factors(config: TrainConfig, steps_per_epoch: int, n: int) -> list[float]:
    factor = schedule_factor(config, create_task(config), steps_per_epoch)
    return [factor(s) for s in range(n)]


def test_warmup_then_schedule_shapes():
    base = TrainConfig(data=(DataSpec("x.txt"),), epochs=1, lr_warmup=4)
    warm = _factors(base.replace(lr_schedule="constant"), 10, 12)
    assert warm == [0.25, 0.5, 0.75, 1.0] + [1.0] * 8
    # the stereo recipe (halving at int(3/5 T), int(4/5 T)) under a warm-up
    assert _factors(base, 10, 12) == [0.25, 0.5, 0.75, 1.0, 1, 1, 1, 0.5, 0.5, 0.25, 0.25, 0.25]
    cos = _factors(base.replace(lr_schedule="cosine", lr_schedule_steps=8), 10, 10)
    assert cos[:4] == [0.25, 0.5, 0.75, 1.0]
    assert cos[4:8] == pytest.approx([0.5 * (1 + math.cos(math.pi * i / 4)) for i in range(4)])
    assert cos[8:] == cos[7:8] * 2  # the last factor is kept after the schedule ends


def test_a_schedule_that_ends_before_it_starts_is_refused():
    with pytest.raises(ConfigError, match="ends at step 5 before its warm-up of 10 steps"):
        TrainConfig(data=(DataSpec("x.txt"),), lr_warmup=10, lr_schedule_steps=5)
    config = TrainConfig(data=(DataSpec("x.txt"),), epochs=1, lr_warmup=10)
    with pytest.raises(ConfigError, match="ends at step 6 before its warm-up of 10 steps"):
        _factors(config, 6, 1)


def test_the_trainer_uses_the_overridden_schedule(tmp_path):
    run = train(tiny_config(tmp_path, epochs=1, batch_size=2, lr=0.01, lr_schedule="constant", lr_warmup=3))
    lines = (run.run_dir / "metrics.jsonl").read_text().splitlines()
    lrs = [json.loads(line)["learning_rate"] for line in lines if '"learning_rate"' in line]
    assert lrs == pytest.approx([0.01 / 3, 0.02 / 3, 0.01, 0.01, 0.01, 0.01])
    with pytest.raises(ConfigError, match="--task tiny-test has no recipe schedule"):
        train(tiny_config(tmp_path, epochs=1, lr_warmup=2, force=True))


# --- --disp-init ---------------------------------------------------------------------------------
def test_head_shift_scales_small_disparities_by_the_factor():
    torch.manual_seed(0)
    model = get_card("monodepth-vgg").build().eval()
    x = torch.rand(1, 3, 128, 128)
    with torch.no_grad():
        before = model(x)[3]
        shift_head(model, 0.25)
        after = model(x)[3]
    # disp4 sees no other disparity: 0.3 sigmoid(z + log k) exactly, ~k x for small disparities
    s = before / 0.3
    assert torch.allclose(after, 0.3 * 0.25 * s / (1 - s + 0.25 * s), rtol=1e-4, atol=1e-7)
    with pytest.raises(ConfigError, match=r"applies to disparity networks .*, not rectnet"):
        head_biases(get_card("rectnet").build())


@pytest.mark.slow
def test_disp_scan_finds_the_panorama_disparity_range(tmp_path):
    data = generate(SynthRequest(out=tmp_path / "pano", kind="panorama", count=2, height=128, width=256,
                                 seed=5, val_fraction=0, test_fraction=0, progress=False))
    config = TrainConfig(data=(DataSpec(str(data / "train.txt"), warp="panorama"),), height=128, width=256)
    task = create_task(config)
    torch.manual_seed(0)
    model = task.build_model()
    saved = {n: p.detach().clone() for n, p in model.named_parameters()}
    dataset = task.build_dataset(config.data[0], False)
    factors = SCAN_FACTORS[::2]  # whole octaves, to keep the test short
    best, losses = scan_factor(task, model, [dataset], batch_size=2, factors=factors)
    assert set(losses) == set(factors) and losses[best] == min(losses.values())
    assert all(torch.equal(saved[n], p) for n, p in model.named_parameters())  # restored bitwise
    meta = json.loads((data / "meta.json").read_text())
    left = torch.stack([dataset[i]["left"] for i in range(len(dataset))])
    with torch.no_grad():
        untrained = float(model(left)[0][:, 0].median())
        shift_head(model, best)
        shifted = float(model(left)[0][:, 0].median())
    truth = open_data("synth", data, split="train")
    depth = np.concatenate([truth.read_gt(s.gt).ravel() for s in truth.samples])
    depth = depth[np.isfinite(depth) & (depth > 0)]
    true = float(np.median(meta["baseline_m"] / (depth * meta["fov_rad"])))  # README: r = B / (d fov_rad)
    assert untrained > 4 * true  # the untrained net starts several times too large ...
    assert true / 2 < shifted < 2 * true  # ... the scanned shift puts it within 2x


# --- end to end from converted weights ------------------------------------------------------------
@pytest.fixture(scope="module")
def converted(tmp_path_factory, seeded_tf_weights):
    """Seeded weights in the earlier port's numpy layout, converted (no TensorFlow needed)."""
    root = tmp_path_factory.mktemp("conv")
    store = root / "numpy_weight"
    store.mkdir()
    for name, value in seeded_tf_weights.items():
        np.save(store / (name.replace("/", ".") + ":0.npy"), value.reshape(1, -1))
    out = root / "converted.safetensors"
    convert(ConvertRequest(store, out))
    data = generate(SynthRequest(out=root / "rect", kind="rectilinear", count=2, height=128, width=128,
                                 seed=1, val_fraction=0, test_fraction=0, progress=False))
    return out, data


def _stereo_run(tmp_path, init, data, **kw) -> TrainConfig:
    spec = DataSpec(str(data / "train.txt"), str(data), warp="rectilinear")
    return TrainConfig(data=(spec,), init=str(init), height=128, width=128, batch_size=1, epochs=1,
                       max_steps=1, augment=False, out=str(tmp_path / "run"), progress=False, threads=1, **kw)


@pytest.mark.slow
def test_zero_lr_run_reproduces_the_converted_model_exactly(tmp_path, converted):
    init, data = converted
    run = train(_stereo_run(tmp_path, init, data, lr=0.0, lr_schedule="cosine", lr_warmup=1))
    assert run.step == 1 and all(math.isfinite(v) for v in run.losses)
    x = torch.rand(2, 3, 128, 256, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected, got = load_model(init)(x), load_model(run.weights)(x)
    assert all(torch.equal(a, b) for a, b in zip(expected, got))


@pytest.mark.slow
def test_frozen_encoder_is_bitwise_the_converted_one(tmp_path, converted):
    init, data = converted
    run = train(_stereo_run(tmp_path, init, data, lr=1e-3, freeze=("encoder",)))
    before, _ = load_weights(init)
    after, _ = load_weights(run.weights)
    enc = [k for k in before if k.startswith("encoder.")]
    assert len(enc) == 28 and all(torch.equal(before[k], after[k]) for k in enc)
    assert not torch.equal(before["decoder.iconv1.weight"], after["decoder.iconv1.weight"])


# --- the CLI -------------------------------------------------------------------------------------
@pytest.mark.parametrize("args, message, code", [
    (["--freeze", "0.*", "--freeze", "nothing*"], "--freeze 'nothing*' matches no parameter", 1),
    (["--lr-warmup", "9", "--lr-schedule-steps", "4", "--lr-schedule", "constant"],
     "the lr schedule ends at step 4 before its warm-up of 9 steps finishes", 1),
    (["--lr-warmup", "50", "--lr-schedule", "constant"], "ends at step 3 before its warm-up of 50 steps", 1),
    (["--disp-init", "-2"], "--disp-init must be 'scan' or a positive factor", 1),
    (["--lr-schedule", "linear"], "Invalid value for '--lr-schedule'", 2),
])
def test_bad_finetune_options_are_one_line(tmp_path, args, message, code):
    data = write_list(tmp_path / "a.txt", 12)
    base = ["train", "--task", "tiny-test", "--data", data, "--height", "8", "--width", "8", "--epochs", "1"]
    result = CliRunner().invoke(main, [*base, "--out", str(tmp_path / "run"), *args])
    assert result.exit_code == code, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr
