"""Architecture cards: everything panoconv knows about one network, as data, in one registry.

A card is the single place that says what a network is: where it comes from, what it outputs, which
input sizes and options it takes, its training recipe and (for TensorFlow-born networks) its layers and
TF <-> PyTorch name table. The model factory, the TF reference, the converter, the parity checker,
predict/evaluate, training, detection and the CLI all read the card instead of keeping their own tables.

Adding a network = one card module in `panoconv/arch/` (imported automatically: every public module of
the package registers its cards on import), one model file (the card's `factory`) and, for a TF-born
network, one TF forward (the card's `tf_forward`). See the README section "Adding a network".

This module imports neither torch nor TensorFlow: the CLI builds its `--arch` choices from the
registry and validates arguments before anything heavy is imported. Factories and TF forwards are
named by import path (`"package.module:function"`) and loaded on first use.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from panoconv.arch._mapping import TensorMapping
from panoconv.errors import PanoconvError
from panoconv.guards import check_size_multiple

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
    - `output_kind`, `outputs`, `output_channel`: what the network returns (a list of maps, names full
      resolution first) and which channel of `outputs[0]` predict reads (0 = left disparity for monodepth).
    - `input_channels`: 3 (RGB) or 6 (stereo: left and right concatenated on channels).
    - `size_multiple`: input height and width must be positive multiples of it.
    - `ring_pad`: whether the network supports ring padding (360-degree panoramas).
    - `fixed_size`: the network was trained at one input size only (`predict_size`), e.g. OmniDepth.
    - `predict_size`, `train_size`: default (H, W) network input.
    - `flip_average`: averaging with the mirrored image is meaningful for this model.
    - `num_parameters`: trainable parameter count of the published network (asserted in tests).
    - `factory`: `"module:function"`, called as `factory(card, **options)`; `options` are the keyword
      options it takes (anything else is refused before the factory runs).
    - TF-born networks: `layers` (layer specs with `torch_name` and `tf_scope`, upstream creation order),
      `parity_layers` (module names compared per layer; default every layer), `tf_name_table`,
      `tf_forward` (`"module:function"`, see `load_tf_forward`).
    - `task`, `loss_weights`: the training task that trains it and its published loss weights, if any.
    - `checkpoints`: names of published checkpoints of this network (documentation, README table).
    - `extra`: room for facts a later consumer adds (e.g. key maps of third-party PyTorch checkpoints).
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
    layers: tuple[Any, ...] = ()
    parity_layers: tuple[str, ...] | None = None
    tf_name_table: tuple[TensorMapping, ...] | None = None
    tf_forward: str | None = None
    task: str | None = None
    loss_weights: Mapping[str, tuple[float, ...]] | None = field(default=None, compare=False)
    checkpoints: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.ring_pad != ("ring_pad" in self.options):
            raise ValueError(f"{self.name}: ring_pad support and the ring_pad option must agree")
        if self.tf_born and (self.tf_name_table is None or self.tf_forward is None or not self.layers):
            raise ValueError(
                f"{self.name}: a TensorFlow-born card needs layers, tf_name_table and tf_forward"
            )

    # --- facts derived from the fields ------------------------------------------------------------
    @property
    def tf_born(self) -> bool:
        return self.origin == "tensorflow"

    @property
    def stereo(self) -> bool:
        """The network takes a left/right pair (concatenated on channels)."""
        return self.input_channels == 6

    @property
    def layer_names(self) -> tuple[str, ...]:
        """Module names compared layer by layer (TF-born cards), network order."""
        if self.parity_layers is not None:
            return self.parity_layers
        return tuple(spec.torch_name for spec in self.layers)

    def layer(self, torch_name: str) -> Any:
        """A layer spec by its PyTorch module path (`decoder.iconv3`)."""
        for spec in self.layers:
            if spec.torch_name == torch_name:
                return spec
        raise KeyError(f"no layer named {torch_name!r} in {self.name}")

    # --- what consumers call --------------------------------------------------------------------
    def build(self, **options: Any) -> Any:
        """The PyTorch model; an option the card does not list raises `UnsupportedOptionError`.

        The model gets `arch_name = card.name`, so predict / evaluate / training find its card again.
        """
        unknown = sorted(set(options) - set(self.options))
        if unknown:
            have = ", ".join(sorted(self.options)) or "none"
            raise UnsupportedOptionError(
                f"{self.name} has no option {', '.join(unknown)} (its options: {have})"
            )
        model = _load(self.factory)(self, **options)
        model.arch_name = self.name
        return model

    def check_size(self, height: int, width: int) -> None:
        """Raise a one-line `PanoconvError` unless (height, width) is a valid input size."""
        check_size_multiple(height, width, self.size_multiple, where=self.name, error=PanoconvError)

    def check_inputs(self, images: bool, pairs: bool) -> None:
        """Single images (`--image`) for monocular cards, left/right pairs (`--pair`) for stereo ones."""
        if self.stereo and images:
            raise PanoconvError(f"{self.name} is a stereo network: give images as --pair LEFT RIGHT, not "
                                "--image")
        if not self.stereo and pairs:
            raise PanoconvError(f"{self.name} takes single images: give --image, not --pair")

    def require_tf(self) -> None:
        if not self.tf_born:
            raise PanoconvError(
                f"{self.name} is not a TensorFlow-born network: it has no TF checkpoint "
                "names and no TF reference"
            )

    def load_tf_forward(self) -> Callable[..., Any]:
        """The TF forward bound to this card: `forward(x_nhwc, params, *, ring, activations, layer_inputs)`.

        The module function has the signature
        `forward(x_nhwc, params, *, card, ring=False, activations=None, layer_inputs=None) -> list`
        (outputs in `card.outputs` order, NHWC; see `panoconv.tf_reference.monodepth`).
        """
        self.require_tf()
        return functools.partial(_load(self.tf_forward), card=self)

    def torch_shapes(self) -> dict[str, tuple[int, ...]]:
        """The PyTorch state-dict keys and shapes of the network (without building it for TF-born cards)."""
        if self.tf_name_table is not None:
            return {row.torch_name: row.torch_shape for row in self.tf_name_table}
        import torch

        with torch.device("meta"):
            model = self.build()
        return {k: tuple(v.shape) for k, v in model.state_dict().items()}


_CARDS: dict[str, ArchCard] = {}


def register_card(card: ArchCard) -> ArchCard:
    """Add a card to the registry; a duplicate name raises."""
    if card.name in _CARDS:
        raise ValueError(f"architecture {card.name!r} is already registered")
    _CARDS[card.name] = card
    return card


def card_modules() -> list[str]:
    """The modules that register cards: every public module of `panoconv.arch` (pure data). Found by
    this file's folder, not by importing the package (that import would close a cycle)."""
    package = __name__.rpartition(".")[0]
    return sorted(f"{package}.{m.name}" for m in pkgutil.iter_modules([str(Path(__file__).parent)])
                  if not m.name.startswith("_"))


@functools.cache
def _ensure_registered() -> None:
    for module in card_modules():
        importlib.import_module(module)


def list_cards() -> list[str]:
    """Every registered architecture name, sorted (the CLI's `--arch` choices)."""
    _ensure_registered()
    return sorted(_CARDS)


def all_cards() -> list[ArchCard]:
    _ensure_registered()
    return [_CARDS[name] for name in sorted(_CARDS)]


def get_card(name: str) -> ArchCard:
    """The card registered under `name`; an unknown name lists the choices in one line."""
    _ensure_registered()
    if name not in _CARDS:
        raise UnknownArchitectureError(
            f"unknown architecture {name!r}; choose one of: {', '.join(sorted(_CARDS))}"
        )
    return _CARDS[name]


def card_of(model: Any, arch: str | None = None) -> ArchCard:
    """The card of a model: the explicit `arch`, else the `arch_name` that `ArchCard.build` gave it."""
    name = arch or getattr(model, "arch_name", None)
    if name is None:
        raise PanoconvError(
            f"{type(model).__name__} was not built from a card; give the architecture (--arch)"
        )
    return get_card(name)
