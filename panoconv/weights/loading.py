"""`load_model(path)`: a ready PyTorch model from converted or trained weights, loaded strictly.

The architecture is the one asked for, else the one recorded in the file's metadata, else the card the
state dict's keys and shapes fit (`panoconv.arch._detect`). Model options come from the card: only a
card with ring padding gets (and records) a ring-padding setting.
"""

from __future__ import annotations

import logging
from pathlib import Path

import torch
from torch import nn

from panoconv.arch import ArchCard, UnsupportedOptionError, get_card
from panoconv.arch._detect import ArchitectureMismatchError, detect_card, mismatch_message
from panoconv.weights.files import load_weights

log = logging.getLogger(__name__)


def resolve_weights_card(path: Path | str, state: dict[str, torch.Tensor], metadata: dict[str, str],
                         architecture: str | None = None) -> ArchCard:
    """The card of a state dict: `architecture`, else its metadata's, else detected (logged); checked to fit."""
    shapes = {k: tuple(v.shape) for k, v in state.items()}
    name = architecture or metadata.get("architecture")
    if name is None:
        card = detect_card(shapes, "torch", where=str(path))
        log.info("%s: detected architecture %s (names and shapes of all %d tensors)", path, card.name, len(shapes))
        return card
    card = get_card(name)
    problem = mismatch_message(card, shapes, "torch", where=str(path))
    if problem:
        raise ArchitectureMismatchError(problem)
    return card


def model_options(card: ArchCard, metadata: dict[str, str], ring_pad: bool | None) -> dict[str, object]:
    """Build options of a loaded model: ring padding as asked, else as recorded at conversion (default off)."""
    if not card.ring_pad:
        if ring_pad:
            raise UnsupportedOptionError(f"{card.name} has no ring padding")
        return {}
    recorded = metadata.get("ring_pad", "false").lower() == "true"
    return {"ring_pad": recorded if ring_pad is None else ring_pad}


def load_model(path: Path | str, *, architecture: str | None = None, ring_pad: bool | None = None,
               dtype: torch.dtype = torch.float32) -> nn.Module:
    """Build the card's model and load the weights strictly (a mismatch is one line saying what differs).

    `ring_pad=None` keeps the setting recorded at conversion (default off).
    """
    state, metadata = load_weights(Path(path))
    card = resolve_weights_card(path, state, metadata, architecture)
    model = card.build(**model_options(card, metadata, ring_pad))
    model.load_state_dict(state, strict=True)
    return model.to(dtype).eval()


def weights_card(path: Path | str, architecture: str | None = None) -> ArchCard:
    """The card of a weights file (as `load_model` would choose it), without building the model."""
    state, metadata = load_weights(Path(path))
    return resolve_weights_card(path, state, metadata, architecture)
