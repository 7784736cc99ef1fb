"""Architecture cards: everything panoconv knows about one network, as data, in one registry.

A card is the single place that says what a network is: where it comes from, what it outputs, which
input sizes and options it takes, its training recipe and (for TensorFlow-born networks) its
TF <-> PyTorch name table. The model factory, the TF reference, the converter, the parity checker,
predict/evaluate, training and the CLI all read the card instead of keeping their own tables.

This module imports neither torch nor TensorFlow: the CLI builds its `--arch` choices from the
registry and validates arguments before anything heavy is imported. Factories and TF forwards are
named by import path (`"package.module:function"`) and loaded on first use.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, Literal

from panoconv.arch._mapping import TensorMapping
from panoconv.errors import PanoconvError

OutputKind = Literal["disparity", "depth"]
Origin = Literal["tensorflow", "pytorch"]


class UnknownArchitectureError(PanoconvError, KeyError):
    """An architecture name that no card is registered under."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class UnsupportedOptionError(PanoconvError, TypeError):
    """A model option the architecture does not have (e.g. ring padding for RectNet)."""


def _load(path: str) -> Any:
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


@dataclass(frozen=True)
class ArchCard:
    """One network. Fields are facts about the architecture, not run settings.

    - `name`: registry key and `--arch` choice, e.g. `monodepth-vgg`.
    - `origin`: the framework the published weights come from.
    - `output_kind`, `outputs`, `output_channel`: what the network returns (names full resolution
      first) and which channel of `outputs[0]` predict reads (0 = left disparity for monodepth).
    - `input_channels`: 3 (RGB) or 6 (stereo: left and right concatenated on channels).
    - `size_multiple`: input height and width must be positive multiples of it.
    - `ring_pad`: whether the network supports ring padding (360-degree panoramas).
    - `fixed_size`: the network was trained at one input size only (`predict_size`), e.g. OmniDepth.
    - `predict_size`, `train_size`: default (H, W) network input.
    - `flip_average`: averaging with the mirrored image is meaningful for this model.
    - `num_parameters`: trainable parameter count of the published network (asserted in tests).
    - `factory`: `"module:function"` building the `nn.Module`; `options` the keyword options it takes.
    - `tf_name_table`, `tf_forward`: TF-born networks only (`tf_forward` = `"module:function"`).
    - `task`, `loss_weights`: the published training recipe, where there is one.
    """

    name: str
    description: str
    origin: Origin
    output_kind: OutputKind
    outputs: tuple[str, ...]
    size_multiple: int
    num_parameters: int
    factory: str
    input_channels: int = 3
    output_channel: int = 0
    ring_pad: bool = False
    fixed_size: bool = False
    predict_size: tuple[int, int] = (256, 512)
    train_size: tuple[int, int] = (256, 512)
    flip_average: bool = True
    options: frozenset[str] = frozenset()
    tf_name_table: tuple[TensorMapping, ...] | None = None
    tf_forward: str | None = None
    task: str | None = None
    loss_weights: Any = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def build(self, **options: Any) -> Any:
        """The PyTorch model; an option the card does not list raises `UnsupportedOptionError`."""
        unknown = sorted(set(options) - set(self.options))
        if unknown:
            have = ", ".join(sorted(self.options)) or "none"
            raise UnsupportedOptionError(f"{self.name} has no option {', '.join(unknown)} (its options: {have})")
        return _load(self.factory)(**options)

    def check_size(self, height: int, width: int) -> None:
        """Raise a one-line `PanoconvError` unless (height, width) is a valid input size."""
        m = self.size_multiple
        if height <= 0 or width <= 0 or height % m or width % m:
            hint = f"{max(m, round(height / m) * m)}x{max(m, round(width / m) * m)}"
            raise PanoconvError(f"{self.name}: height and width must be positive multiples of {m}, "
                                f"got {height}x{width} (e.g. {hint})")

    def load_tf_forward(self) -> Callable[..., Any]:
        if self.tf_forward is None:
            raise PanoconvError(f"{self.name} is not a TensorFlow-born network: no TF reference")
        return _load(self.tf_forward)


_CARDS: dict[str, ArchCard] = {}


def register_card(card: ArchCard) -> ArchCard:
    """Add a card to the registry; a duplicate name raises."""
    if card.name in _CARDS:
        raise ValueError(f"architecture {card.name!r} is already registered")
    _CARDS[card.name] = card
    return card


#: Modules that register cards when imported (pure data: no torch, no TensorFlow).
CARD_MODULES: tuple[str, ...] = ("panoconv.arch.monodepth_vgg",)


def _ensure_registered() -> None:
    for module in CARD_MODULES:
        importlib.import_module(module)


def list_cards() -> list[str]:
    """Every registered architecture name, sorted (the CLI's `--arch` choices)."""
    _ensure_registered()
    return sorted(_CARDS)


def get_card(name: str) -> ArchCard:
    """The card registered under `name`; an unknown name lists the choices in one line."""
    _ensure_registered()
    if name not in _CARDS:
        raise UnknownArchitectureError(f"unknown architecture {name!r}; choose one of: {', '.join(sorted(_CARDS))}")
    return _CARDS[name]
