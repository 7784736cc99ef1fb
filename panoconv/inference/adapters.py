"""What a network's output means, keyed by architecture name.

monodepth predicts disparity (fraction of the image width, two channels: left, right); OmniDepth's
RectNet / UResNet predict depth in metres directly at a fixed 256 x 512 equirectangular input. The
predict and evaluate code asks the adapter instead of assuming monodepth, so registering a new
architecture here is the only change needed to run or evaluate it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

import torch
from torch import nn

OutputKind = Literal["disparity", "depth"]


@dataclass(frozen=True)
class OutputAdapter:
    """`kind`: what channel `channel` of the first (full-resolution) output holds.

    `fixed_size`: network input (H, W) for models trained at one size (None: monodepth recipes).
    `flip_average`: whether averaging with the mirrored image is meaningful for this model.
    """

    arch: str
    kind: OutputKind
    channel: int = 0
    fixed_size: tuple[int, int] | None = None
    flip_average: bool = True

    def extract(self, outputs: torch.Tensor | Sequence[torch.Tensor]) -> torch.Tensor:
        """Model output(s) -> (B, H, W) map of the full-resolution scale."""
        first = outputs if isinstance(outputs, torch.Tensor) else outputs[0]
        return first[:, self.channel] if first.dim() == 4 else first


_ADAPTERS: dict[str, OutputAdapter] = {}


def register_adapter(adapter: OutputAdapter) -> None:
    _ADAPTERS[adapter.arch] = adapter


register_adapter(OutputAdapter("monodepth-vgg", "disparity"))
register_adapter(OutputAdapter("monodepth-resnet50", "disparity"))
register_adapter(OutputAdapter("rectnet", "depth", fixed_size=(256, 512)))
register_adapter(OutputAdapter("uresnet", "depth", fixed_size=(256, 512)))


def architecture_of(model: nn.Module, arch: str | None = None) -> str:
    """The explicit `arch`, else the model's `arch_name` attribute, else monodepth-vgg."""
    return arch or getattr(model, "arch_name", None) or "monodepth-vgg"


def adapter_for(model: nn.Module, arch: str | None = None) -> OutputAdapter:
    """The adapter of the model's architecture; unknown names default to a depth model at its own size."""
    name = architecture_of(model, arch)
    if name in _ADAPTERS:
        return _ADAPTERS[name]
    key = name.lower().replace("_", "-")
    for known, adapter in _ADAPTERS.items():
        if known in key:
            return adapter
    raise KeyError(f"no output adapter for architecture {name!r}; known: {', '.join(sorted(_ADAPTERS))}")
