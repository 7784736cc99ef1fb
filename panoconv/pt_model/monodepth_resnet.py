"""monodepth's ResNet50 encoder (upstream `encoder="resnet50"`) with the shared monodepth decoder.

The layers come from the card (`panoconv.arch.monodepth_resnet50`, which states the upstream facts:
stride in the last block of each stage, a projection shortcut in every block, zero-padded max pool);
this file only wires them. Input (B, C, H, W), H and W multiples of 64, C = 3 (6 for stereo cards).
Output as the VGG network: `[disp1 (B,2,H,W), disp2, disp3, disp4 (H/8)]`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from panoconv.arch import ArchCard
from panoconv.arch.monodepth_resnet50 import block_names, blocks
from panoconv.pt_model._layers import MonoMaxPool, add_layers
from panoconv.pt_model.monodepth import MonodepthConfig, MonodepthNet


class ResNet50Encoder(nn.Module):
    """conv1, zero-padded max pool, four bottleneck stages (the card's encoder layers)."""

    def __init__(self, card: ArchCard, ring_pad: bool = False) -> None:
        super().__init__()
        add_layers(self, card, "encoder", ring_pad)
        self.pool1 = MonoMaxPool(ring_pad)
        self.stages: list[list[tuple[str, str, str, str]]] = []
        for stage, block, _n, _stride in blocks():
            if block == 1:
                self.stages.append([])
            self.stages[-1].append(block_names(stage, block))

    def bottleneck(self, x: torch.Tensor, names: tuple[str, str, str, str]) -> torch.Tensor:
        """ELU(c(b(a(x))) + shortcut(x)): upstream `resconv` with its projection shortcut."""
        a, b, c, shortcut = (getattr(self, n) for n in names)
        return F.elu(c(b(a(x))) + shortcut(x), inplace=True)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """(B,C,H,W) -> [conv1 (H/2, 64), pool1 (H/4, 64), conv2 (H/8, 256), conv3 (H/16, 512),
        conv4 (H/32, 1024), conv5 (H/64, 2048)]; all but conv5 are the decoder's skips."""
        x = self.conv1(x)
        features = [x, self.pool1(x)]
        x = features[-1]
        for stage in self.stages:
            for names in stage:
                x = self.bottleneck(x, names)
            features.append(x)
        return features


class MonodepthResNet50(MonodepthNet):
    """The full network of one ResNet50 card."""

    encoder_class = ResNet50Encoder


def monodepth_resnet50(card: ArchCard, *, ring_pad: bool = False) -> MonodepthResNet50:
    """Factory of every ResNet50 card (`ArchCard.factory`): the variant is in the card's layers."""
    return MonodepthResNet50(card, MonodepthConfig(ring_pad=ring_pad))
