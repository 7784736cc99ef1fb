"""Build models by name: `create_model("monodepth-vgg", ring_pad=True)` == `get_card(name).build(...)`.

The registry is the card registry (`panoconv.arch`): a model factory is named by its card.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from panoconv.arch import get_card, list_cards


def list_models() -> list[str]:
    return list_cards()


def create_model(name: str, **options: Any) -> nn.Module:
    """Instantiate a registered architecture; unknown names and unsupported options raise one-line errors."""
    return get_card(name).build(**options)
