"""monodepth's VGG encoder-decoder (Godard et al. 2017) as used by "Eliminating the Blind Spot".

The layers (shapes, names, conv or transposed conv) come from the card (`panoconv.arch.monodepth_vgg`);
this file only says how they are wired, once for every variant. Input (B, C, H, W) with H, W multiples
of 128, RGB in [0, 1]; C = 3, or 6 for the stereo variant (left and right concatenated on channels).
Output: four disparity maps `[disp1 (B,2,H,W), disp2 (H/2), disp3 (H/4), disp4 (H/8)]`; channel 0 is
the left disparity, channel 1 the right, both as fractions of the image width in (0, 0.3).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from panoconv.arch import ArchCard
from panoconv.errors import InputShapeError
from panoconv.pt_model._layers import make_layer, set_ring_pad, upsample_nearest2x


@dataclass(frozen=True)
class MonodepthConfig:
    """`ring_pad`: wrap convolutions around in longitude (panorama inference; upstream trains without)."""

    ring_pad: bool = False


def check_input(x: torch.Tensor, card: ArchCard) -> None:
    """Raise `InputShapeError` unless x is (N, C, H, W) with the card's channels and size multiple."""
    c = card.input_channels
    if x.dim() != 4 or x.shape[1] != c:
        what = "a left/right pair concatenated on channels" if card.stereo else "an image batch"
        raise InputShapeError(f"{card.name}: expected {what}, N x {c} x H x W, got shape {tuple(x.shape)}")
    h, w = x.shape[-2:]
    m = card.size_multiple
    if h % m or w % m or h == 0 or w == 0:
        raise InputShapeError(
            f"{card.name}: height and width must be positive multiples of {m}, got {h}x{w}; "
            f"resize or pad to e.g. {max(m, round(h / m) * m)}x{max(m, round(w / m) * m)}"
        )


class _Stage(nn.Module):
    """A named group of layers built from the card's layer list (one of encoder / decoder)."""

    def __init__(self, card: ArchCard, part: str, ring_pad: bool) -> None:
        super().__init__()
        for spec in card.layers:
            if spec.part == part:
                self.add_module(spec.name, make_layer(spec, ring_pad))

    def up(self, name: str, x: torch.Tensor) -> torch.Tensor:
        """upstream `upconv` (nearest x2 then conv) or `deconv` (a transposed-conv layer), as the card says."""
        layer = getattr(self, name)
        return layer(x) if layer.spec.transposed else layer(upsample_nearest2x(x))


class VGGEncoder(_Stage):
    def __init__(self, card: ArchCard, ring_pad: bool = False) -> None:
        super().__init__(card, "encoder", ring_pad)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """(B,C,H,W) -> [conv1 (H/2), conv2 (H/4), ..., conv7 (H/128)]; conv1..conv6 are the skips."""
        features = []
        for block in range(1, 8):
            x = getattr(self, f"conv{block}a")(x)
            x = getattr(self, f"conv{block}b")(x)
            features.append(x)
        return features


class VGGDecoder(_Stage):
    def __init__(self, card: ArchCard, ring_pad: bool = False) -> None:
        super().__init__(card, "decoder", ring_pad)

    def forward(self, features: list[torch.Tensor]) -> list[torch.Tensor]:
        skip1, skip2, skip3, skip4, skip5, skip6, x = features
        up, cat = self.up, torch.cat
        x = self.iconv7(cat([up("upconv7", x), skip6], 1))  # H/64
        x = self.iconv6(cat([up("upconv6", x), skip5], 1))  # H/32
        x = self.iconv5(cat([up("upconv5", x), skip4], 1))  # H/16
        x = self.iconv4(cat([up("upconv4", x), skip3], 1))  # H/8
        disp4 = self.disp4(x)
        x = self.iconv3(cat([up("upconv3", x), skip2, upsample_nearest2x(disp4)], 1))
        disp3 = self.disp3(x)  # H/4
        x = self.iconv2(cat([up("upconv2", x), skip1, upsample_nearest2x(disp3)], 1))
        disp2 = self.disp2(x)  # H/2
        x = self.iconv1(cat([up("upconv1", x), upsample_nearest2x(disp2)], 1))
        disp1 = self.disp1(x)  # H
        return [disp1, disp2, disp3, disp4]


class MonodepthVGG(nn.Module):
    """The full network of one VGG card; module paths match `card.layers[i].torch_name`."""

    def __init__(self, card: ArchCard, config: MonodepthConfig = MonodepthConfig()) -> None:
        super().__init__()
        self.card = card
        self.arch_name = card.name
        self.config = config
        self.encoder = VGGEncoder(card, config.ring_pad)
        self.decoder = VGGDecoder(card, config.ring_pad)

    @property
    def ring_pad(self) -> bool:
        return self.config.ring_pad

    def set_ring_pad(self, enabled: bool) -> None:
        """Switch ring padding on or off in place (e.g. train plain, predict panoramas with ring)."""
        self.config = MonodepthConfig(ring_pad=enabled)
        set_ring_pad(self, enabled)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        check_input(x, self.card)
        return self.decoder(self.encoder(x))


def monodepth_vgg(card: ArchCard, *, ring_pad: bool = False) -> MonodepthVGG:
    """Factory of every VGG card (`ArchCard.factory`): the variant is in the card's layers."""
    return MonodepthVGG(card, MonodepthConfig(ring_pad=ring_pad))
