"""OmniDepth's UResNet (Zioulis et al., ECCV 2018): a residual encoder-decoder baseline for 360 depth.

Input (B, 3, H, W) RGB with H, W multiples of 16 (published: 256 x 512). Output
`[pred_1x (B,1,H,W), pred_2x (B,1,H/2,W/2), pred_4x (B,1,H/4,W/4)]`, depth in the units of the
training ground truth. Unlike RectNet, each coarser prediction is nearest-upsampled and **detached**
before being concatenated into the next decoder stage (as upstream), so every scale's loss trains only
its own head; `UResNetConfig(detach_upsampled=False)` changes that.
"""

from __future__ import annotations

import itertools
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

ARCH_NAME = "uresnet"
SIZE_MULTIPLE = get_card(ARCH_NAME).size_multiple
ENCODER_CHANNELS = (64, 128, 256, 512, 1024)


@dataclass(frozen=True)
class UResNetConfig:
    """`detach_upsampled`: detach coarser predictions fed to finer decoder stages (upstream: yes)."""

    detach_upsampled: bool = True


class SkipBlock(nn.Module):
    """(B, Cin, H, W) -> (B, Cout, H/2, W/2): 3x3 stride 2 (out1), 3x3, 3x3 (out3); returns out1 + out3."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.down = ConvELU(in_channels, out_channels, 3, stride=2, padding=1)
        self.conv1 = ConvELU(out_channels, out_channels, 3, padding=1)
        self.conv2 = ConvELU(out_channels, out_channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out1 = self.down(x)
        return out1 + self.conv2(self.conv1(out1))


class UResNetEncoder(nn.Module):
    """(B, 3, H, W) -> (B, 1024, H/16, W/16): 7x7 -> 32, 5x5 -> 64, four skip blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.input0 = ConvELU(3, 32, 7, padding=3)
        self.input1 = ConvELU(32, 64, 5, padding=2)
        for i, (cin, cout) in enumerate(itertools.pairwise(ENCODER_CHANNELS)):
            self.add_module(f"skip{i}", SkipBlock(cin, cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.input1(self.input0(x))
        for i in range(len(ENCODER_CHANNELS) - 1):
            x = getattr(self, f"skip{i}")(x)
        return x


class UResNetDecoder(nn.Module):
    """(B, 1024, H/16, W/16) -> [pred_1x (H), pred_2x (H/2), pred_4x (H/4)], each (B, 1, ., .)."""

    def __init__(self, detach_upsampled: bool = True) -> None:
        super().__init__()
        self.detach_upsampled = detach_upsampled
        self.up0 = UpConvELU(1024, 512)  # H/8
        self.conv0 = ConvELU(512, 512, 5, padding=2)
        self.up1 = UpConvELU(512, 256)  # H/4
        self.conv1 = ConvELU(256, 256, 5, padding=2)
        self.predict_4x = prediction_head(256)
        self.up2 = UpConvELU(256, 128)  # H/2
        self.conv2 = ConvELU(128 + 1, 128, 5, padding=2)
        self.predict_2x = prediction_head(128)
        self.up3 = UpConvELU(128, 64)  # H
        self.conv3 = ConvELU(64 + 1, 64, 5, padding=2)
        self.predict_1x = prediction_head(64)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        detach = self.detach_upsampled
        x = self.conv0(self.up0(x))
        x = self.conv1(self.up1(x))
        pred_4x = self.predict_4x(x)
        x = self.conv2(torch.cat([self.up2(x), upsample_prediction(pred_4x, detach)], dim=1))
        pred_2x = self.predict_2x(x)
        x = self.conv3(torch.cat([self.up3(x), upsample_prediction(pred_2x, detach)], dim=1))
        return [self.predict_1x(x), pred_2x, pred_4x]


class UResNet(nn.Module):
    """The full UResNet; state-dict keys like `encoder.skip2.down.conv.weight`, `decoder.up0.deconv.bias`."""

    arch_name = ARCH_NAME

    def __init__(self, config: UResNetConfig = UResNetConfig()) -> None:
        super().__init__()
        self.config = config
        self.encoder = UResNetEncoder()
        self.decoder = UResNetDecoder(config.detach_upsampled)
        init_omnidepth_weights(self)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """(B, 3, H, W) -> [pred_1x (B,1,H,W), pred_2x (B,1,H/2,W/2), pred_4x (B,1,H/4,W/4)]."""
        check_panorama_input(x, SIZE_MULTIPLE, ARCH_NAME)
        return self.decoder(self.encoder(x))


def uresnet(card: ArchCard, *, detach_upsampled: bool = True) -> UResNet:
    """Factory of the `uresnet` card (`ArchCard.factory`)."""
    return UResNet(UResNetConfig(detach_upsampled=detach_upsampled))
