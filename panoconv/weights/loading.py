"""`load_model(path)`: a ready PyTorch model from converted or trained weights, loaded strictly.

The architecture is the one asked for, else the one recorded in the file's metadata, else the card the
state dict's keys and shapes fit (`panoconv.arch._detect`). A `.pth` in a third-party naming that a card
carries a key map for (OmniDepth-PyTorch's RectNet / UResNet, `panoconv.weights.pytorch_source`) is
renamed onto the card, strictly. Model options come from the card: only a card with ring padding gets
(and records) a ring-padding setting.

The loaded model carries the input its weights expect: `model.input_order` ("rgb" or "bgr") and
`model.input_scale` (pixel values in [0, input_scale]), from the file's metadata (`convert` records
them), else the third-party naming's, else RGB in [0, 1]; predict / evaluate feed the network that way
(`panoconv.inference.pipeline.run_network`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from panoconv.arch import ArchCard, UnknownArchitectureError, UnsupportedOptionError, get_card
from panoconv.arch._detect import ArchitectureMismatchError, detect_card, mismatch_message
from panoconv.errors import CheckpointError
from panoconv.weights.files import load_weights
from panoconv.weights.finite import check_finite_weights
from panoconv.weights.pytorch_source import match_key_maps

log = logging.getLogger(__name__)


def resolve_weights_card(path: Path | str, state: dict[str, torch.Tensor], metadata: dict[str, str],
                         architecture: str | None = None) -> ArchCard:
    """The card of a state dict: `architecture`, else its metadata's, else detected (logged); must fit."""
    shapes = {k: tuple(v.shape) for k, v in state.items()}
    name = architecture or metadata.get("architecture")
    if name is None:
        card = detect_card(shapes, "torch", where=str(path))
        log.info("%s: detected architecture %s (names and shapes of all %d tensors)", path, card.name,
                 len(shapes))
        return card
    card = get_card(name)
    problem = mismatch_message(card, shapes, "torch", where=str(path))
    if problem:
        raise ArchitectureMismatchError(problem)
    return card


INPUT_ORDERS = ("rgb", "bgr")


@dataclass(frozen=True)
class ResolvedWeights:
    """A state dict in the card's own naming, with where it came from and the input it expects."""

    card: ArchCard
    state: dict[str, torch.Tensor]
    naming: str = "panoconv"  # or the third-party naming it was renamed from
    input_order: str = "rgb"
    input_scale: float = 1.0


def _recorded_input(path: Path | str, metadata: dict[str, str]) -> tuple[str, float]:
    order = metadata.get("input_order", "rgb")
    try:
        scale = float(metadata.get("input_scale", "1"))
    except ValueError:
        scale = float("nan")
    if order not in INPUT_ORDERS or not 0.0 < scale < float("inf"):
        raise CheckpointError(f"{path}: metadata input_order={order!r} input_scale="
                              f"{metadata.get('input_scale')!r}: expected rgb|bgr and a positive number")
    return order, scale


def resolve_weights(path: Path | str, state: dict[str, torch.Tensor], metadata: dict[str, str],
                    architecture: str | None = None) -> ResolvedWeights:
    """The card and the state in its naming: a third-party naming renamed, else the card's own (checked)."""
    if architecture is None and metadata.get("architecture") is not None:
        try:
            get_card(metadata["architecture"])
        except UnknownArchitectureError as err:
            raise CheckpointError(f"{path}: metadata names an {err}") from None
    found = match_key_maps(path, state, architecture or metadata.get("architecture"))
    if found is not None:
        card, mapping = found
        log.info("%s: %s checkpoint in %s naming, %d tensors renamed", path, card.name, mapping.naming,
                 mapping.renamed)
        return ResolvedWeights(card, mapping.state, mapping.naming, mapping.input_order, mapping.input_scale)
    card = resolve_weights_card(path, state, metadata, architecture)
    return ResolvedWeights(card, state, "panoconv", *_recorded_input(path, metadata))


def set_input_convention(model: nn.Module, order: str, scale: float) -> None:
    """Record on the model what its weights expect (read by `inference.pipeline.run_network`)."""
    if order not in INPUT_ORDERS:
        raise CheckpointError(f"input order must be one of {', '.join(INPUT_ORDERS)}, got {order!r}")
    model.input_order = order
    model.input_scale = float(scale)


def model_options(card: ArchCard, metadata: dict[str, str], ring_pad: bool | None) -> dict[str, object]:
    """Build options of a loaded model: ring padding as asked, else as recorded at conversion (or off)."""
    if not card.ring_pad:
        if ring_pad:
            raise UnsupportedOptionError(f"{card.name} has no ring padding")
        return {}
    recorded = metadata.get("ring_pad", "false").lower() == "true"
    return {"ring_pad": recorded if ring_pad is None else ring_pad}


def load_model(path: Path | str, *, architecture: str | None = None, ring_pad: bool | None = None,
               dtype: torch.dtype = torch.float32, input_order: str | None = None) -> nn.Module:
    """Build the card's model and load the weights strictly (a mismatch is one line saying what differs).

    `ring_pad=None` keeps the setting recorded at conversion (default off). `input_order` overrides the
    channel order the weights are recorded to expect.
    """
    state, metadata = load_weights(Path(path))
    resolved = resolve_weights(path, state, metadata, architecture)
    check_finite_weights(path, resolved.state)
    card = resolved.card
    model = card.build(**model_options(card, metadata, ring_pad))
    model.load_state_dict(resolved.state, strict=True)
    set_input_convention(model, input_order or resolved.input_order, resolved.input_scale)
    return model.to(dtype).eval()


def weights_card(path: Path | str, architecture: str | None = None) -> ArchCard:
    """The card of a weights file (as `load_model` would choose it), without building the model."""
    state, metadata = load_weights(Path(path))
    return resolve_weights(path, state, metadata, architecture).card
