"""OmniDepth's RectNet (Zioulis et al., ECCV 2018): supervised depth from one equirectangular image.

Input (B, 3, H, W) RGB with H, W multiples of 4 (published: 256 x 512). Output
`[pred_1x (B,1,H,W), pred_2x (B,1,H/2,W/2)]`, depth in the units of the training ground truth
(metres for 3D60). The rectangular input kernels (wider than tall) account for the horizontal
stretching of the equirectangular projection; dilated convolutions widen the receptive field at 1/4
resolution without further downsampling.

The nearest-upsampled `pred_2x` fed into the last decoder stage is *not* detached (as upstream), so
the full-resolution loss also trains the half-resolution head; `RectNetConfig(detach_upsampled=True)`
changes that.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from panoconv.arch import ArchCard, get_card
from panoconv.pt_model._omni_layers import (
    ConvELU,
    UpConvELU,
    check_panorama_input,
    init_omnidepth_weights,
    prediction_head,
    upsample_prediction,
)

ARCH_NAME = "rectnet"
SIZE_MULTIPLE = get_card(ARCH_NAME).size_multiple


@dataclass(frozen=True)
class RectNetConfig:
    """`detach_upsampled`: detach pred_2x before feeding it to the full-resolution stage (upstream: no)."""

    detach_upsampled: bool = False


class MultiKernelBlock(nn.Module):
    """Parallel ConvELU branches with different (rectangular) kernels, concatenated on channels.

    `kernels` are (kh, kw) pairs; each branch uses "same" padding (kh // 2, kw // 2) and gives
    `branch_channels`, so (B, Cin, H, W) -> (B, len(kernels) * branch_channels, H, W).
    Branches are named by kernel: `k3x9`, `k5x11`, ...
    """

    def __init__(self, in_channels: int, branch_channels: int, kernels: tuple[tuple[int, int], ...]) -> None:
        super().__init__()
        self.branch_names = [f"k{kh}x{kw}" for kh, kw in kernels]
        for name, (kh, kw) in zip(self.branch_names, kernels):
            self.add_module(name, ConvELU(in_channels, branch_channels, (kh, kw), padding=(kh // 2, kw // 2)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([getattr(self, name)(x) for name in self.branch_names], dim=1)


class RectEncoder0(nn.Module):
    """(B, 64, H, W) -> (B, 128, H/2, W/2): 3x3 stride 2, then two 3x3."""

    def __init__(self) -> None:
        super().__init__()
        self.down = ConvELU(64, 128, 3, stride=2, padding=1)
        self.conv1 = ConvELU(128, 128, 3, padding=1)
        self.conv2 = ConvELU(128, 128, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2(self.conv1(self.down(x)))


class RectEncoder1(nn.Module):
    """(B, 128, H/2, W/2) -> (B, 256, H/4, W/4): stride 2, dilations 2 then 4, 1x1 fusion of both."""

    def __init__(self) -> None:
        super().__init__()
        self.down = ConvELU(128, 256, 3, stride=2, padding=1)
        self.dilated2 = ConvELU(256, 256, 3, padding=2, dilation=2)
        self.dilated4 = ConvELU(256, 256, 3, padding=4, dilation=4)
        self.fuse = ConvELU(512, 256, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        d2 = self.dilated2(self.down(x))
        d4 = self.dilated4(d2)
        return self.fuse(torch.cat([d2, d4], dim=1))


class RectEncoder2(nn.Module):
    """(B, 256, H/4, W/4) -> (B, 512, H/4, W/4): dilations 8 (256) then 16 (512), 1x1 fusion of both."""

    def __init__(self) -> None:
        super().__init__()
        self.dilated8 = ConvELU(256, 256, 3, padding=8, dilation=8)
        self.dilated16 = ConvELU(256, 512, 3, padding=16, dilation=16)
        self.fuse = ConvELU(768, 512, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        d8 = self.dilated8(x)
        d16 = self.dilated16(d8)
        return self.fuse(torch.cat([d8, d16], dim=1))


class RectDecoder(nn.Module):
    """(B, 512, H/4, W/4) -> [pred_1x (B,1,H,W), pred_2x (B,1,H/2,W/2)]."""

    def __init__(self, detach_upsampled: bool = False) -> None:
        super().__init__()
        self.detach_upsampled = detach_upsampled
        self.up0 = UpConvELU(512, 256)  # H/2
        self.conv0 = ConvELU(256, 256, 5, padding=2)
        self.predict_2x = prediction_head(256)
        self.up1 = UpConvELU(256, 128)  # H
        self.conv1 = ConvELU(128, 128, 5, padding=2)
        self.fuse1 = ConvELU(128 + 1, 64, 1)
        self.predict_1x = prediction_head(64)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = self.conv0(self.up0(x))
        pred_2x = self.predict_2x(x)
        x = self.conv1(self.up1(x))
        x = self.fuse1(torch.cat([x, upsample_prediction(pred_2x, self.detach_upsampled)], dim=1))
        return [self.predict_1x(x), pred_2x]


class RectNet(nn.Module):
    """The full RectNet; state-dict keys like `input0.k3x9.conv.weight`, `encoder1.dilated2.conv.bias`."""

    arch_name = ARCH_NAME

    def __init__(self, config: RectNetConfig = RectNetConfig()) -> None:
        super().__init__()
        self.config = config
        self.input0 = MultiKernelBlock(3, 8, ((3, 9), (5, 11), (5, 7), (7, 7)))  # -> 32
        self.input1 = MultiKernelBlock(32, 16, ((3, 9), (3, 7), (3, 5), (5, 5)))  # -> 64
        self.encoder0 = RectEncoder0()
        self.encoder1 = RectEncoder1()
        self.encoder2 = RectEncoder2()
        self.decoder = RectDecoder(config.detach_upsampled)
        init_omnidepth_weights(self)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """(B, 3, H, W) -> [pred_1x (B,1,H,W), pred_2x (B,1,H/2,W/2)]."""
        check_panorama_input(x, SIZE_MULTIPLE, ARCH_NAME)
        x = self.input1(self.input0(x))
        x = self.encoder2(self.encoder1(self.encoder0(x)))
        return self.decoder(x)


def rectnet(card: ArchCard, *, detach_upsampled: bool = False) -> RectNet:
    """Factory of the `rectnet` card (`ArchCard.factory`)."""
    return RectNet(RectNetConfig(detach_upsampled=detach_upsampled))
