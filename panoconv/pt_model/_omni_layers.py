"""Building blocks shared by OmniDepth's RectNet and UResNet (Zioulis et al., ECCV 2018).

Every convolution in both networks is followed by an ELU, except the 1-channel prediction heads,
which are plain 3x3 convolutions (so predicted depth is unbounded; evaluation clips it).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from panoconv.guards import check_shape, check_size_multiple

Size2 = int | tuple[int, int]


class ConvELU(nn.Module):
    """`Conv2d` then ELU. State-dict keys: `<name>.conv.weight`, `<name>.conv.bias`."""

    def __init__(self, in_channels: int, out_channels: int, kernel: Size2, stride: int = 1,
                 padding: Size2 = 0, dilation: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel, stride=stride, padding=padding,
                              dilation=dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.elu(self.conv(x))


class UpConvELU(nn.Module):
    """`ConvTranspose2d(4x4, stride 2, pad 1)` then ELU: (B, Cin, H, W) -> (B, Cout, 2H, 2W)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.deconv = nn.ConvTranspose2d(in_channels, out_channels, 4, stride=2, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.elu(self.deconv(x))


def prediction_head(in_channels: int) -> nn.Conv2d:
    """The plain 3x3 convolution to one depth channel (no activation), size-preserving."""
    return nn.Conv2d(in_channels, 1, 3, padding=1)


def upsample_prediction(pred: torch.Tensor, detach: bool) -> torch.Tensor:
    """Nearest 2x upsampling of a (B, 1, h, w) prediction to (B, 1, 2h, 2w), optionally detached.

    Detaching stops the finer scale's loss from flowing back into the coarser prediction (UResNet).
    """
    up = F.interpolate(pred, scale_factor=2.0, mode="nearest")
    return up.detach() if detach else up


def init_omnidepth_weights(module: nn.Module) -> None:
    """Xavier-normal weights and zero biases for every (transposed) convolution, as upstream."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.xavier_normal_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def check_panorama_input(x: torch.Tensor, multiple: int, arch: str) -> None:
    """Raise `InputShapeError` unless x is (B, 3, H, W) with H, W positive multiples of `multiple`."""
    check_shape(x.shape, (None, 3, None, None), "a B x 3 x H x W RGB batch", where=arch)
    check_size_multiple(x.shape[-2], x.shape[-1], multiple, where=arch,
                        advice="; resize to such a size (the published size is 256x512)")
