"""OmniDepth-PyTorch checkpoints as users hold them -> convert / load_model / predict / train --init, with
outputs bit-identical to the original module (max abs 0, float32 and float64) and bad files refused in
one line with nothing written."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from safetensors import safe_open

from panoconv.cli import main
from panoconv.weights import load_model
from tests.pt_model.omnidepth_pytorch_nets import UPSTREAM

H, W = 64, 128


def upstream_module(arch: str, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return UPSTREAM[arch]().eval()


def save_form(module: torch.nn.Module, path, form: str) -> None:
    state = module.state_dict()
    module_prefixed = {f"module.{k}": v for k, v in state.items()}
    if form == "bare":
        obj = state
    elif form == "state_dict":
        obj = {"state_dict": state}
    elif form == "published":  # rectnet.pth: {'epoch', 'state_dict'} with DataParallel prefixes
        obj = {"epoch": 0, "state_dict": module_prefixed}
    else:  # its trainer's checkpoint_latest.pth
        obj = {"epoch": 3, "experiment": "run", "state_dict": module_prefixed,
               "optimizer": torch.optim.Adam(module.parameters(), lr=2e-4).state_dict(),
               "loss_meter": {"val": 0.1, "sum": 0.3, "count": 3, "avg": 0.1}, "best_d1_inlier": 0.5}
    torch.save(obj, path)


def outputs(model: torch.nn.Module, dtype: torch.dtype) -> list[torch.Tensor]:
    x = torch.rand(1, 3, H, W, generator=torch.Generator().manual_seed(1), dtype=torch.float64).to(dtype)
    with torch.no_grad():
        return [o.clone() for o in model.to(dtype)(x)]


def _cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.parametrize("form", ["bare", "state_dict", "published", "trainer"])
def test_rectnet_every_form_converts_with_its_metadata(tmp_path, form):
    original = upstream_module("rectnet")
    source = tmp_path / "rectnet.pth"
    save_form(original, source, form)
    out = tmp_path / "rectnet.safetensors"
    result = _cli("convert", source, "--arch", "rectnet", "-o", out)
    assert result.exit_code == 0, result.output
    assert "filled      50 parameters" in result.output and "pytorch-checkpoint" in result.output
    with safe_open(str(out), "pt") as f:
        meta = f.metadata()
    assert (meta["architecture"], meta["source_naming"]) == ("rectnet", "omnidepth-pytorch")
    assert meta["input_order"] == "rgb"
    assert float(meta["input_scale"]) == 1.0 and len(meta["source_sha256"]) == 64
    assert meta["epoch"] == {"published": "0", "trainer": "3"}.get(form, "")
    if form == "trainer":
        assert "optimizer" in json.loads(meta["mapping_report"])["left_out"]
    # every tensor where the key map puts it, unchanged: the outputs are then the original's (next test)
    from panoconv.arch._pytorch_keys import OMNIDEPTH_PYTORCH_RECTNET

    converted = load_model(out).state_dict()
    for src, dst in OMNIDEPTH_PYTORCH_RECTNET.key_pairs().items():
        assert torch.equal(converted[dst], original.state_dict()[src])


def test_rectnet_outputs_equal_the_original_bit_for_bit_float32_and_float64(tmp_path):
    source = tmp_path / "rectnet.pth"
    save_form(upstream_module("rectnet"), source, "published")
    out = tmp_path / "rectnet.safetensors"
    assert _cli("convert", source, "--arch", "rectnet", "-o", out).exit_code == 0
    for dtype in (torch.float32, torch.float64):
        ours = outputs(load_model(out, dtype=dtype), dtype)
        theirs = outputs(upstream_module("rectnet").to(dtype), dtype)
        assert all(a.dtype == dtype for a in ours)
        assert [float((a - b).abs().max()) for a, b in zip(ours, theirs)] == [0.0, 0.0]
    direct = outputs(load_model(source), torch.float32)  # load_model / predict -w read the .pth as well
    assert all(torch.equal(a, b) for a, b in zip(direct, outputs(upstream_module("rectnet"), torch.float32)))


@pytest.mark.slow
def test_uresnet_trainer_checkpoint_detected_without_arch_and_bit_identical(tmp_path):
    original = upstream_module("uresnet", seed=2)
    source = tmp_path / "checkpoint_latest.pth"
    save_form(original, source, "trainer")
    model = load_model(source)  # no --arch: the key map tells the network
    assert model.arch_name == "uresnet"
    for dtype in (torch.float32, torch.float64):
        ours = outputs(load_model(source, dtype=dtype), dtype)
        theirs = outputs(upstream_module("uresnet", seed=2).to(dtype), dtype)
        assert [float((a - b).abs().max()) for a, b in zip(ours, theirs)] == [0.0, 0.0, 0.0]


def test_input_order_recorded_and_applied_where_the_network_is_fed(tmp_path):
    from panoconv.arch import get_card
    from panoconv.inference.pipeline import network_convention, run_network

    source = tmp_path / "r.pth"
    save_form(upstream_module("rectnet"), source, "published")
    out = tmp_path / "bgr.safetensors"
    assert _cli("convert", source, "-o", out, "--input-order", "bgr").exit_code == 0  # arch detected
    bgr = load_model(out)
    assert (bgr.arch_name, bgr.input_order, bgr.input_scale) == ("rectnet", "bgr", 1.0)
    rgb = load_model(out, input_order="rgb")
    x = torch.rand(1, 3, H, W, generator=torch.Generator().manual_seed(5))
    card = get_card("rectnet")
    a = run_network(bgr, x, card, False, [False])
    assert torch.equal(a, run_network(rgb, x.flip(1), card, False, [False]))
    assert not torch.equal(a, run_network(rgb, x, card, False, [False]))
    stereo = torch.arange(6.0).view(1, 6, 1, 1)
    rgb.input_order, rgb.input_scale = "bgr", 255.0
    assert network_convention(rgb, stereo).flatten().tolist() == [510.0, 255.0, 0.0, 1275.0, 1020.0, 765.0]


def test_predict_cli_input_order_override(tmp_path, monkeypatch):
    from panoconv.errors import CheckpointError

    seen = {}

    def fake_load(path, architecture=None, input_order=None, **_):
        seen["input_order"] = input_order
        raise CheckpointError(f"{path}: stop here")

    monkeypatch.setattr("panoconv.weights.load_model", fake_load)
    from panoconv.io.images import save_rgb

    save_rgb(tmp_path / "p.png", np.zeros((H, W, 3)))
    (tmp_path / "w.pth").write_bytes(b"")  # must exist (checked before torch is imported); never read
    result = _cli("predict", tmp_path / "p.png", "-w", tmp_path / "w.pth", "-o", tmp_path / "o",
                  "--input-order", "bgr")
    assert result.exit_code == 1 and seen == {"input_order": "bgr"}


def test_train_init_reads_an_omnidepth_pytorch_checkpoint(tmp_path):
    from panoconv.arch import get_card
    from panoconv.training.trainer import _load_init

    source = tmp_path / "r.pth"
    original = upstream_module("rectnet", seed=4)
    save_form(original, source, "trainer")
    model = get_card("rectnet").build()
    _load_init(model, source)
    model.eval()
    ours, theirs = outputs(model, torch.float32), outputs(original, torch.float32)
    assert all(torch.equal(a, b) for a, b in zip(ours, theirs))


class _Code:
    def __reduce__(self):
        return os.system, ("echo pwned",)


@pytest.mark.parametrize("make, arch, message", [
    ("code", "rectnet", r"evil\.pth: refused: the pickle holds Python objects other than tensors"),
    ("uresnet", "rectnet", r"evil\.pth: a uresnet checkpoint \(omnidepth-pytorch naming\), not rectnet; "
                           r"pass --arch uresnet"),
    ("partial", "rectnet", r"evil\.pth: not a rectnet checkpoint \(closest naming: omnidepth-pytorch, 48 of "
                           r"50 keys\): 2 missing: prediction1\.bias, prediction1\.weight"),
    ("vgg", "rectnet", r"evil\.pth: .*rectnet"),
])
def test_bad_pth_is_one_line_exit_1_nothing_written(tmp_path, make, arch, message):
    import re

    source = tmp_path / "evil.pth"
    if make == "code":
        torch.save({"state_dict": {"a": torch.zeros(1)}, "x": _Code()}, source)
    elif make == "uresnet":
        torch.save({"fake": torch.zeros(1)}, source)  # replaced below by UResNet's names (small tensors)
        from panoconv.arch._pytorch_keys import OMNIDEPTH_PYTORCH_URESNET

        torch.save({k: torch.zeros(1) for k in OMNIDEPTH_PYTORCH_URESNET.key_pairs()}, source)
    elif make == "partial":
        state = upstream_module("rectnet").state_dict()
        torch.save({k: v for k, v in state.items() if not k.startswith("prediction1")}, source)
    else:
        from panoconv.arch import get_card

        torch.save(get_card("monodepth-vgg").build().state_dict(), source)
    out = tmp_path / "x.safetensors"
    result = _cli("convert", source, "--arch", arch, "-o", out)
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and re.search(message, lines[0]), result.output
    assert not out.exists() and not any(p.name.startswith(".x") for p in tmp_path.iterdir())


def test_bad_recorded_input_convention_is_refused(tmp_path):
    from safetensors.torch import save_file

    from panoconv.arch import get_card
    from panoconv.errors import CheckpointError

    path = tmp_path / "odd.safetensors"
    save_file(get_card("rectnet").build().state_dict(), str(path),
              metadata={"architecture": "rectnet", "input_order": "grb"})
    with pytest.raises(CheckpointError, match=r"odd.safetensors: metadata input_order='grb'"):
        load_model(path)
