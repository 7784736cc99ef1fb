"""monodepth's VGG encoder-decoder (Godard et al. 2017) as used by "Eliminating the Blind Spot".

Layer shapes and names come from `panoconv.arch.monodepth_vgg`; this file only says how the layers
are wired. Input (B, 3, H, W) with H, W multiples of 128, RGB in [0, 1]. Output: four disparity maps
`[disp1 (B,2,H,W), disp2 (H/2), disp3 (H/4), disp4 (H/8)]`; channel 0 is the left disparity,
channel 1 the right, both as fractions of the image width in (0, 0.3).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from panoconv.arch import monodepth_vgg as arch
from panoconv.errors import InputShapeError
from panoconv.pt_model._layers import MonoConv, upsample_nearest2x
from panoconv.pt_model._registry import register_model

ARCH_NAME = "monodepth-vgg"


@dataclass(frozen=True)
class MonodepthConfig:
    """`ring_pad`: wrap convolutions around in longitude (panorama inference; upstream trains without)."""

    ring_pad: bool = False


def check_input(x: torch.Tensor) -> None:
    """Raise `InputShapeError` unless x is (N, 3, H, W) with H, W multiples of 128."""
    if x.dim() != 4 or x.shape[1] != 3:
        raise InputShapeError(f"expected an N x 3 x H x W image batch, got shape {tuple(x.shape)}")
    h, w = x.shape[-2:]
    m = arch.SIZE_MULTIPLE
    if h % m or w % m or h == 0 or w == 0:
        raise InputShapeError(
            f"height and width must be positive multiples of {m}, got {h}x{w}; "
            f"resize or pad to e.g. {max(m, round(h / m) * m)}x{max(m, round(w / m) * m)}"
        )


class _Stage(nn.Module):
    """A named group of `MonoConv`s built from the layer table (one of encoder / decoder)."""

    def __init__(self, part: str, ring_pad: bool) -> None:
        super().__init__()
        for spec in arch.LAYERS:
            if spec.part == part:
                self.add_module(spec.name, MonoConv(spec, ring_pad))


class VGGEncoder(_Stage):
    def __init__(self, ring_pad: bool = False) -> None:
        super().__init__("encoder", ring_pad)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """(B,3,H,W) -> [conv1 (H/2), conv2 (H/4), ..., conv7 (H/128)]; conv1..conv6 are the skips."""
        features = []
        for block in range(1, 8):
            x = getattr(self, f"conv{block}a")(x)
            x = getattr(self, f"conv{block}b")(x)
            features.append(x)
        return features


class VGGDecoder(_Stage):
    def __init__(self, ring_pad: bool = False) -> None:
        super().__init__("decoder", ring_pad)

    def forward(self, features: list[torch.Tensor]) -> list[torch.Tensor]:
        skip1, skip2, skip3, skip4, skip5, skip6, x = features
        x = self.iconv7(torch.cat([self.upconv7(upsample_nearest2x(x)), skip6], 1))  # H/64
        x = self.iconv6(torch.cat([self.upconv6(upsample_nearest2x(x)), skip5], 1))  # H/32
        x = self.iconv5(torch.cat([self.upconv5(upsample_nearest2x(x)), skip4], 1))  # H/16
        x = self.iconv4(torch.cat([self.upconv4(upsample_nearest2x(x)), skip3], 1))  # H/8
        disp4 = self.disp4(x)
        x = self.iconv3(torch.cat([self.upconv3(upsample_nearest2x(x)), skip2, upsample_nearest2x(disp4)], 1))
        disp3 = self.disp3(x)  # H/4
        x = self.iconv2(torch.cat([self.upconv2(upsample_nearest2x(x)), skip1, upsample_nearest2x(disp3)], 1))
        disp2 = self.disp2(x)  # H/2
        x = self.iconv1(torch.cat([self.upconv1(upsample_nearest2x(x)), upsample_nearest2x(disp2)], 1))
        disp1 = self.disp1(x)  # H
        return [disp1, disp2, disp3, disp4]


class MonodepthVGG(nn.Module):
    """The full network; module paths match `arch.monodepth_vgg.LAYERS[i].torch_name`."""

    arch_name = ARCH_NAME

    def __init__(self, config: MonodepthConfig = MonodepthConfig()) -> None:
        super().__init__()
        self.config = config
        self.encoder = VGGEncoder(config.ring_pad)
        self.decoder = VGGDecoder(config.ring_pad)

    @property
    def ring_pad(self) -> bool:
        return self.config.ring_pad

    def set_ring_pad(self, enabled: bool) -> None:
        """Switch ring padding on or off in place (e.g. train plain, predict panoramas with ring)."""
        self.config = MonodepthConfig(ring_pad=enabled)
        for module in self.modules():
            if isinstance(module, MonoConv):
                module.ring_pad = enabled

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        check_input(x)
        return self.decoder(self.encoder(x))


@register_model(ARCH_NAME)
def monodepth_vgg(ring_pad: bool = False, **_: object) -> MonodepthVGG:
    return MonodepthVGG(MonodepthConfig(ring_pad=ring_pad))
