"""monodepth's VGG encoder-decoder (Godard et al. 2017) as used by "Eliminating the Blind Spot".

The layers (shapes, names, conv or transposed conv) come from the card (`panoconv.arch.monodepth_vgg`);
this file only says how the encoder is wired, once for every variant (the decoder is shared with the
ResNet50 encoder: `panoconv.pt_model._decoder`). Input (B, C, H, W) with H, W multiples
of 128, RGB in [0, 1]; C = 3, or 6 for the stereo variant (left and right concatenated on channels).
Output: four disparity maps `[disp1 (B,2,H,W), disp2 (H/2), disp3 (H/4), disp4 (H/8)]`; channel 0 is
the left disparity, channel 1 the right, both as fractions of the image width in (0, 0.3).

`MonodepthNet` (card + encoder + shared decoder, ring-padding switch, input check) is the base of both
encoders' networks; the ResNet50 one is `panoconv.pt_model.monodepth_resnet`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from panoconv.arch import ArchCard
from panoconv.guards import check_shape, check_size_multiple
from panoconv.pt_model._decoder import MonodepthDecoder
from panoconv.pt_model._layers import add_layers, set_ring_pad


@dataclass(frozen=True)
class MonodepthConfig:
    """`ring_pad`: wrap convolutions around in longitude (panorama inference; upstream trains without)."""

    ring_pad: bool = False


def check_input(x: torch.Tensor, card: ArchCard) -> None:
    """Raise `InputShapeError` unless x is (N, C, H, W) with the card's channels and size multiple."""
    c = card.input_channels
    what = "a left/right pair concatenated on channels" if card.stereo else "an image batch"
    check_shape(x.shape, (None, c, None, None), f"{what}, N x {c} x H x W", where=card.name)
    check_size_multiple(x.shape[-2], x.shape[-1], card.size_multiple, where=card.name,
                        advice="; resize or pad to such a size")


class VGGEncoder(nn.Module):
    """The encoder layers of a VGG card: seven conv blocks (stride 1, then stride 2)."""

    def __init__(self, card: ArchCard, ring_pad: bool = False) -> None:
        super().__init__()
        add_layers(self, card, "encoder", ring_pad)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """(B,C,H,W) -> [conv1 (H/2), conv2 (H/4), ..., conv7 (H/128)]; conv1..conv6 are the skips."""
        features = []
        for block in range(1, 8):
            x = getattr(self, f"conv{block}a")(x)
            x = getattr(self, f"conv{block}b")(x)
            features.append(x)
        return features


class MonodepthNet(nn.Module):
    """A monodepth network of one card: `encoder_class` (VGG or ResNet50) + the shared decoder; module
    paths match `card.layers[i].torch_name`. Subclasses name the encoder."""

    encoder_class: type[nn.Module]

    def __init__(self, card: ArchCard, config: MonodepthConfig = MonodepthConfig()) -> None:
        super().__init__()
        self.card = card
        self.arch_name = card.name
        self.config = config
        self.encoder = self.encoder_class(card, config.ring_pad)
        self.decoder = MonodepthDecoder(card, config.ring_pad)

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


class MonodepthVGG(MonodepthNet):
    """The full network of one VGG card."""

    encoder_class = VGGEncoder


def monodepth_vgg(card: ArchCard, *, ring_pad: bool = False) -> MonodepthVGG:
    """Factory of every VGG card (`ArchCard.factory`): the variant is in the card's layers."""
    return MonodepthVGG(card, MonodepthConfig(ring_pad=ring_pad))
