"""monodepth's decoder, shared by the VGG and ResNet50 encoders (PyTorch).

One rule for every level i = L..1 (L = 7 for VGG, 6 for ResNet50; the card's decoder layers say which):
    x = iconv_i(concat[upconv_i(x), skip_{i-1} (if i >= 2), nearest x2 of disp_{i+1} (if i <= 3)])
    disp_i = get_disp(x)                                                                 (if i <= 4)
`upconv_i` is upstream's `upconv` (nearest x2, conv) or `deconv` (a transposed conv), as the card's
layer says. Outputs `[disp1, disp2, disp3, disp4]`, full resolution first.
"""

from __future__ import annotations

import torch
from torch import nn

from panoconv.arch import ArchCard
from panoconv.pt_model._layers import add_layers, upsample_nearest2x

#: levels with a disparity head (upstream's four scales)
DISP_LEVELS = 4


class MonodepthDecoder(nn.Module):
    """The decoder layers of a card (`part == "decoder"`), wired level by level."""

    def __init__(self, card: ArchCard, ring_pad: bool = False) -> None:
        super().__init__()
        add_layers(self, card, "decoder", ring_pad)
        self.levels = sum(
            1 for spec in card.layers if spec.part == "decoder" and spec.name.startswith("upconv")
        )

    def up(self, name: str, x: torch.Tensor) -> torch.Tensor:
        """upstream `upconv` (nearest x2 then conv) or `deconv` (a transposed conv), as the card says."""
        layer = getattr(self, name)
        return layer(x) if layer.spec.transposed else layer(upsample_nearest2x(x))

    def forward(self, features: list[torch.Tensor]) -> list[torch.Tensor]:
        """features = [skip1, ..., skip_{L-1}, deepest encoder output] -> [disp1, disp2, disp3, disp4]."""
        *skips, x = features
        if len(skips) != self.levels - 1:
            raise ValueError(
                f"decoder of {self.levels} levels needs {self.levels - 1} skips, got {len(skips)}"
            )
        disps: dict[int, torch.Tensor] = {}
        for i in range(self.levels, 0, -1):
            parts = [self.up(f"upconv{i}", x)]
            if i >= 2:
                parts.append(skips[i - 2])
            if i + 1 in disps:
                parts.append(upsample_nearest2x(disps[i + 1]))
            x = getattr(self, f"iconv{i}")(torch.cat(parts, 1))
            if i <= DISP_LEVELS:
                disps[i] = getattr(self, f"disp{i}")(x)
        return [disps[i] for i in range(1, DISP_LEVELS + 1)]
