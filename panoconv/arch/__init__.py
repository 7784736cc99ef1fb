"""Architectures as data: one registered card per network (`ArchCard`), read by every part of panoconv.

    from panoconv.arch import get_card, list_cards
    card = get_card("monodepth-vgg")
    model = card.build(ring_pad=True)

Pure data: importing this package imports neither torch nor TensorFlow.
"""

from panoconv.arch._card import (
    ArchCard,
    UnknownArchitectureError,
    UnsupportedOptionError,
    all_cards,
    card_of,
    get_card,
    list_cards,
    register_card,
)
from panoconv.arch._mapping import Layout, TensorMapping

#: The card of a monodepth checkpoint when nothing else says (and of the stereo training task).
DEFAULT_ARCH = "monodepth-vgg"

__all__ = [
    "DEFAULT_ARCH",
    "ArchCard",
    "Layout",
    "TensorMapping",
    "UnknownArchitectureError",
    "UnsupportedOptionError",
    "all_cards",
    "card_of",
    "get_card",
    "list_cards",
    "register_card",
]
