"""Key maps of third-party PyTorch checkpoints onto panoconv's modules, as data (no torch import).

A `PyTorchKeyMap` says, for one network and one source project, which source module holds which
panoconv module's `weight` and `bias` (same shapes, same layouts: nothing is transposed), and what
input the source's weights expect (channel order, value range). The cards carry them
(`card.extra["pytorch_key_maps"]`); `panoconv.weights.pytorch_source` applies them strictly.

OmniDepth-PyTorch (meder411/OmniDepth-PyTorch, `network.py`): every conv sits in a block with a
`.conv` child (`input0_0.conv.weight`), the prediction heads are bare convs (`prediction0.weight`).
Its data set reads RGB with skimage and divides by 255; the published `rectnet.pth`, converted from
the original Caffe model (which took OpenCV's BGR), has its first convolutions' input channels flipped
by the conversion script, so it expects RGB in [0, 1] like the trained ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

InputOrder = Literal["rgb", "bgr"]


@dataclass(frozen=True)
class PyTorchKeyMap:
    """`modules`: (source module path, panoconv module path) pairs, each holding `.weight` and `.bias`."""

    source: str
    modules: tuple[tuple[str, str], ...]
    input_order: InputOrder = "rgb"
    input_scale: float = 1.0  # the weights expect pixel values in [0, input_scale]
    params: tuple[str, ...] = ("weight", "bias")

    def key_pairs(self) -> dict[str, str]:
        """Full state-dict keys: source key -> panoconv key."""
        return {f"{src}.{p}": f"{dst}.{p}" for src, dst in self.modules for p in self.params}


_RECTNET_BANKS = {"input0": ("k3x9", "k5x11", "k5x7", "k7x7"), "input1": ("k3x9", "k3x7", "k3x5", "k5x5")}

OMNIDEPTH_PYTORCH_RECTNET = PyTorchKeyMap(
    source="omnidepth-pytorch",
    modules=tuple(
        [(f"{bank}_{i}.conv", f"{bank}.{branch}.conv") for bank, branches in _RECTNET_BANKS.items()
         for i, branch in enumerate(branches)]
        + [(f"encoder0_{i}.conv", f"encoder0.{name}.conv")
           for i, name in enumerate(("down", "conv1", "conv2"))]
        + [(f"encoder1_{i}.conv", f"encoder1.{name}.conv")
           for i, name in enumerate(("down", "dilated2", "dilated4", "fuse"))]
        + [(f"encoder2_{i}.conv", f"encoder2.{name}.conv")
           for i, name in enumerate(("dilated8", "dilated16", "fuse"))]
        + [("decoder0_0.conv", "decoder.up0.deconv"), ("decoder0_1.conv", "decoder.conv0.conv"),
           ("prediction0", "decoder.predict_2x"),
           ("decoder1_0.conv", "decoder.up1.deconv"), ("decoder1_1.conv", "decoder.conv1.conv"),
           ("decoder1_2.conv", "decoder.fuse1.conv"), ("prediction1", "decoder.predict_1x")]
    ),
)

OMNIDEPTH_PYTORCH_URESNET = PyTorchKeyMap(
    source="omnidepth-pytorch",
    modules=tuple(
        [("input0.conv", "encoder.input0.conv"), ("input1.conv", "encoder.input1.conv")]
        + [(f"encoder{i}.conv{j + 1}.conv", f"encoder.skip{i}.{name}.conv")
           for i in range(4) for j, name in enumerate(("down", "conv1", "conv2"))]
        + [(f"decoder{i}_0.conv", f"decoder.up{i}.deconv") for i in range(4)]
        + [(f"decoder{i}_1.conv", f"decoder.conv{i}.conv") for i in range(4)]
        + [("prediction0", "decoder.predict_4x"), ("prediction1", "decoder.predict_2x"),
           ("prediction2", "decoder.predict_1x")]
    ),
)
