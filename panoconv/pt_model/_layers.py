"""Building blocks shared by the monodepth networks (VGG and ResNet50 encoders), one per upstream helper.

- `MonoConv`: upstream `conv` (symmetric pad of (k-1)//2, zeros or ring; VALID conv; ELU / get_disp / none).
- `MonoDeconv`: upstream `deconv` (pad 1, `slim.conv2d_transpose(n, 3, stride 2, 'SAME')` + ELU, crop
  rows and columns [3:-1]).
- `MonoMaxPool`: ResNet50's `maxpool` (pad 1 with zeros or ring, 3x3 max pool stride 2 VALID).
- `make_layer(spec)`: the module a `ConvSpec` describes; `add_layers`: a card's layers of one part.

Each module's output is what the TF reference records for the layer, so per-layer parity hooks them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from panoconv.arch._monodepth import DISP_SCALE, ConvSpec


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


def activate(y: torch.Tensor, activation: str) -> torch.Tensor:
    """ELU (in place: `y` is a fresh conv output, ELU's backward uses its result), get_disp, or nothing."""
    if activation == "disp":
        return DISP_SCALE * torch.sigmoid(y)
    if activation == "linear":
        return y
    return F.elu(y, inplace=True)


class MonoConv(nn.Conv2d):
    """monodepth's `conv`: symmetric pad of (k-1)//2 (zeros or ring), VALID conv, then the activation.

    Subclassing `nn.Conv2d` keeps state-dict keys readable (`decoder.iconv7.weight`) and lets a
    forward hook see the activated output, which is what the TF reference exposes per layer.
    """

    def __init__(self, spec: ConvSpec, ring_pad: bool = False) -> None:
        if spec.transposed:
            raise ValueError(f"{spec.torch_name} is a transposed conv; use MonoDeconv")
        super().__init__(spec.in_channels, spec.out_channels, spec.kernel, stride=spec.stride, padding=0)
        self.spec = spec
        self.ring_pad = ring_pad

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.spec.activation == "disp" and torch.is_autocast_enabled(x.device.type):
            # the disparity heads stay float32 under autocast: 2 output channels cost nothing, and a
            # bfloat16 head (8-bit mantissa before the sigmoid) is the suspect in bf16 training's drift
            with torch.autocast(x.device.type, enabled=False):
                return self._conv_activate(x.float())
        return self._conv_activate(x)

    def _conv_activate(self, x: torch.Tensor) -> torch.Tensor:
        pad = self.spec.padding
        if self.ring_pad:
            # == conv(ring_pad(x)): wrap the columns, let the conv zero-pad the rows (one copy, bitwise
            # equal).
            y = F.conv2d(wrap_columns(x, pad), self.weight, self.bias, self.stride, padding=(pad, 0))
        else:
            y = F.conv2d(x, self.weight, self.bias, self.stride, padding=pad)
        return activate(y, self.spec.activation)

    def extra_repr(self) -> str:
        return (super().extra_repr()
                + f", pad={self.spec.padding}, ring_pad={self.ring_pad}, act={self.spec.activation}")


class MonoDeconv(nn.ConvTranspose2d):
    """monodepth's `deconv`: (B, Cin, h, w) -> (B, Cout, 2h, 2w), then ELU.

    Upstream pads x by 1 (zeros; ring padding for panoramas), runs TF's SAME transposed conv with
    stride 2 (output 2(h+2): the full transposed conv without its last row and column, since SAME puts
    the whole padding after) and keeps rows and columns [3:-1]. Of the full transposed conv of the
    padded input that is samples [3, 2h+3), i.e. `ConvTranspose2d(padding=3, output_padding=1)` of the
    padded input; zero rows in the input only shift the full output by 2 (a transposed conv of zeros
    adds nothing), so along a zero-padded axis it is `padding=1, output_padding=1` of x itself.
    The test `tests/pt_model/test_deconv.py` proves this against TF's `conv2d_transpose` in float64.
    """

    def __init__(self, spec: ConvSpec, ring_pad: bool = False) -> None:
        if not spec.transposed:
            raise ValueError(f"{spec.torch_name} is not a transposed conv; use MonoConv")
        super().__init__(
            spec.in_channels, spec.out_channels, spec.kernel, stride=2, padding=1, output_padding=1
        )
        self.spec = spec
        self.ring_pad = ring_pad

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        if self.ring_pad:
            y = F.conv_transpose2d(
                wrap_columns(x, 1), self.weight, self.bias, stride=2, padding=(1, 3), output_padding=1
            )
        else:
            y = F.conv_transpose2d(x, self.weight, self.bias, stride=2, padding=1, output_padding=1)
        return activate(y, self.spec.activation)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", ring_pad={self.ring_pad}, act={self.spec.activation}"


class MonoMaxPool(nn.Module):
    """upstream `maxpool(x, 3)` of the ResNet50 encoder: pad 1 on every side, then 3x3 max pool, stride 2,
    VALID: (B, C, h, w) -> (B, C, h/2, w/2) for even h, w.

    The pad is zeros (or ring padding), not -inf: after ELU activations can be negative, so a border
    window whose real values are all < 0 gives 0 here and not what `MaxPool2d(padding=1)` gives.
    """

    def __init__(self, ring_pad: bool = False) -> None:
        super().__init__()
        self.ring_pad = ring_pad

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        padded = ring_pad(x, 1) if self.ring_pad else F.pad(x, (1, 1, 1, 1))
        return F.max_pool2d(padded, 3, stride=2)

    def extra_repr(self) -> str:
        return f"kernel=3, stride=2, pad=1 (zeros), ring_pad={self.ring_pad}"


def make_layer(spec: ConvSpec, ring_pad: bool = False) -> nn.Module:
    """The module of one layer spec."""
    return MonoDeconv(spec, ring_pad) if spec.transposed else MonoConv(spec, ring_pad)


def add_layers(module: nn.Module, card: object, part: str, ring_pad: bool = False) -> None:
    """Add the card's layers of one `part` (`encoder`, `decoder`) to `module`, named as in the card."""
    for spec in card.layers:  # type: ignore[attr-defined]
        if spec.part == part:
            module.add_module(spec.name, make_layer(spec, ring_pad))


def set_ring_pad(model: nn.Module, enabled: bool) -> None:
    """Switch ring padding of every monodepth layer of `model` in place."""
    for module in model.modules():
        if isinstance(module, (MonoConv, MonoDeconv, MonoMaxPool)):
            module.ring_pad = enabled


def upsample_nearest2x(x: torch.Tensor) -> torch.Tensor:
    """TF1 `resize_nearest_neighbor` to exactly 2x (source index floor(i / 2))."""
    return F.interpolate(x, scale_factor=2.0, mode="nearest")
