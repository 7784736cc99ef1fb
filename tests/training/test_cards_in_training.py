"""Training reads the card: stereo cards see both views, --init picks the card of its weights, mismatches are
one line."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from panoconv.arch import get_card
from panoconv.errors import PanoconvError, WeightMappingError
from panoconv.training.config import ConfigError, DataSpec, TrainConfig
from panoconv.training.registry import resolve_config
from panoconv.training.stereo_task import StereoRecipe, StereoTask
from panoconv.weights import save_weights


class _Pyramid(nn.Module):
    """Records its input; returns four constant disparity scales."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(0.01))
        self.seen: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        self.seen.append(x)
        b, _, h, w = x.shape
        return [self.scale * torch.ones(b, 2, h >> i, w >> i) for i in range(4)]


def _batch(h: int = 128, w: int = 128) -> dict:
    g = torch.Generator().manual_seed(0)
    return {
        "left": torch.rand(2, 3, h, w, generator=g),
        "right": torch.rand(2, 3, h, w, generator=g),
        "warp": ["rectilinear"] * 2,
        "fov_deg": torch.tensor([82.5, 82.5]),
    }


@pytest.mark.parametrize("arch, channels", [("monodepth-vgg", 3), ("monodepth-vgg-stereo", 6),
                                            ("monodepth-resnet50", 3),
                                            ("monodepth-resnet50-stereo-deconv", 6)])
def test_the_model_sees_what_the_card_takes(arch, channels):
    task = StereoTask(StereoRecipe(arch=arch), height=128, width=128)
    model, batch = _Pyramid(), _batch()
    out = task.loss(model, batch)
    assert torch.isfinite(out.total)
    x = model.seen[0]
    assert x.shape == (2, channels, 128, 128)
    assert torch.equal(x[:, :3], batch["left"])
    if channels == 6:
        assert torch.equal(x[:, 3:], batch["right"])  # upstream do_stereo: concat([left, right], channels)
    assert task.build_model().arch_name == arch


def test_size_not_a_multiple_of_the_card_is_refused():
    with pytest.raises(PanoconvError,
                       match="100x256 do not suit monodepth-vgg-stereo: both must be positive multiples "
                                            "of 128"):
        StereoTask(StereoRecipe(arch="monodepth-vgg-stereo"), height=100, width=256)
    StereoTask(StereoRecipe(arch="monodepth-resnet50"), height=192, width=640)  # ResNet50: multiples of 64
    with pytest.raises(PanoconvError,
                       match="do not suit monodepth-resnet50: both must be positive multiples of 64"):
        StereoTask(StereoRecipe(arch="monodepth-resnet50"), height=96, width=200)


def _weights(tmp_path, arch: str, metadata: bool = True):
    state = {k: torch.zeros(s) for k, s in get_card(arch).torch_shapes().items()}
    return save_weights(state, tmp_path / f"{arch}.safetensors", {"architecture": arch} if metadata else {})


def test_init_weights_choose_the_card(tmp_path):
    spec = (DataSpec("x.txt"),)
    stereo = _weights(tmp_path, "monodepth-vgg-stereo", metadata=False)  # detected from names and shapes
    assert resolve_config(TrainConfig(data=spec, init=str(stereo))).arch == "monodepth-vgg-stereo"
    assert (
        resolve_config(TrainConfig(data=spec, init=str(stereo), arch="monodepth-vgg")).arch == "monodepth-vgg"
    )
    resnet = _weights(tmp_path, "monodepth-resnet50", metadata=False)
    assert resolve_config(TrainConfig(data=spec, init=str(resnet))).arch == "monodepth-resnet50"
    with pytest.raises(ConfigError, match="rectnet is trained with --task supervised, not --task stereo"):
        resolve_config(TrainConfig(data=spec, arch="rectnet"))


def test_init_weights_of_another_card_are_one_line(tmp_path):
    from panoconv.training.trainer import _load_init

    stereo = _weights(tmp_path, "monodepth-vgg-stereo")
    model = get_card("monodepth-vgg").build()
    with pytest.raises(WeightMappingError) as info:
        _load_init(model, stereo)
    message = str(info.value)
    assert "does not fit monodepth-vgg: 1 shape differs: encoder.conv1a.weight is [32, 6, 7, 7]" in message
    assert (
        message.endswith(
            "it is a monodepth-vgg-stereo (use --arch monodepth-vgg-stereo, or leave --arch out to detect it)"
        )
        and "\n" not in message
    )
