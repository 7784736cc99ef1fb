"""Building blocks shared by the monodepth networks."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from panoconv.arch.monodepth_vgg import DISP_SCALE, ConvSpec


def wrap_columns(x: torch.Tensor, pad: int) -> torch.Tensor:
    """Wrap `pad` columns around in longitude: (B, C, H, W) -> (B, C, H, W + 2 pad).

    `torch.cat` keeps channels_last, which `F.pad(mode="circular")` does not (that would cost a
    layout conversion per convolution).
    """
    return torch.cat([x[..., -pad:], x, x[..., :pad]], dim=-1) if pad else x


def ring_pad(x: torch.Tensor, pad: int) -> torch.Tensor:
    """Zero-pad `pad` rows top and bottom, wrap `pad` columns around in longitude.

    (B, C, H, W) -> (B, C, H + 2 pad, W + 2 pad). Used for 360-degree panoramas, where the left and
    right image edges are neighbours.
    """
    return wrap_columns(F.pad(x, (0, 0, pad, pad)), pad)


class MonoConv(nn.Conv2d):
    """monodepth's `conv`: symmetric pad of (k-1)//2 (zeros or ring), VALID conv, then ELU or get_disp.

    Subclassing `nn.Conv2d` keeps state-dict keys readable (`decoder.iconv7.weight`) and lets a
    forward hook see the activated output, which is what the TF reference exposes per layer.
    """

    def __init__(self, spec: ConvSpec, ring_pad: bool = False) -> None:
        super().__init__(spec.in_channels, spec.out_channels, spec.kernel, stride=spec.stride, padding=0)
        self.spec = spec
        self.ring_pad = ring_pad

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pad = self.spec.padding
        if self.ring_pad:
            # == conv(ring_pad(x)): wrap the columns, let the conv zero-pad the rows (one copy, bitwise equal).
            wrapped = wrap_columns(x, pad)
            y = F.conv2d(wrapped, self.weight, self.bias, self.stride, padding=(pad, 0))
        else:
            y = F.conv2d(x, self.weight, self.bias, self.stride, padding=pad)
        if self.spec.activation == "disp":
            return DISP_SCALE * torch.sigmoid(y)
        return F.elu(y, inplace=True)  # y is a fresh conv output; ELU backward uses its result

    def extra_repr(self) -> str:
        return super().extra_repr() + f", pad={self.spec.padding}, ring_pad={self.ring_pad}, act={self.spec.activation}"


def upsample_nearest2x(x: torch.Tensor) -> torch.Tensor:
    """TF1 `resize_nearest_neighbor` to exactly 2x (source index floor(i / 2))."""
    return F.interpolate(x, scale_factor=2.0, mode="nearest")
