"""Tiny stand-in networks: constant outputs make pipeline and protocol results checkable by hand."""

from __future__ import annotations

import torch
from torch import nn


class ConstantDisparity(nn.Module):
    """Looks like monodepth-vgg to the pipeline: [disp (B, 2, H, W)], value `value`; records ring padding."""

    arch_name = "monodepth-vgg"

    def __init__(self, value: float = 0.05) -> None:
        super().__init__()
        self.value = nn.Parameter(torch.tensor(value), requires_grad=False)
        self.ring_pad = False
        self.calls: list[tuple[tuple[int, ...], bool]] = []

    def set_ring_pad(self, enabled: bool) -> None:
        self.ring_pad = enabled

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        self.calls.append((tuple(x.shape), self.ring_pad))
        b, _, h, w = x.shape
        return [self.value.expand(b, 2, h, w).clone()]


class ColumnDisparity(ConstantDisparity):
    """Disparity that grows left to right (so flips and edge blends are visible)."""

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        b, _, h, w = x.shape
        ramp = torch.linspace(0.01, 0.2, w, dtype=x.dtype)
        return [(ramp.expand(b, 2, h, w) + 0.0 * x.mean()).clone()]


class ConstantDepth(nn.Module):
    """Looks like RectNet: [depth (B, 1, H, W)] in metres, fixed 256 x 512 input."""

    arch_name = "rectnet"

    def __init__(self, value: float = 2.0) -> None:
        super().__init__()
        self.value = nn.Parameter(torch.tensor(value), requires_grad=False)
        self.shapes: list[tuple[int, ...]] = []

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        self.shapes.append(tuple(x.shape))
        b, _, h, w = x.shape
        return [self.value.expand(b, 1, h, w).clone(), self.value.expand(b, 1, h // 2, w // 2).clone()]
