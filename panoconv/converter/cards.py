"""Which card a TF checkpoint is: named (and checked to fit) or detected from its tensor names and shapes.

Torch-free, so the CLI can check a checkpoint and the sizes its card takes before importing torch.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from panoconv.arch import ArchCard, get_card
from panoconv.arch._detect import ArchitectureMismatchError, detect_card, fits, mismatch_message
from panoconv.converter.sources import OpenedSource
from panoconv.readers import canonical_tf_name, is_optimizer_state

log = logging.getLogger(__name__)


def model_shapes(shapes: Mapping[str, tuple[int, ...]]) -> dict[str, tuple[int, ...]]:
    """The model tensors of a source's name -> shape map (optimizer state left out), by canonical TF name."""
    return {canonical_tf_name(n): tuple(s) for n, s in shapes.items() if not is_optimizer_state(n)}


def resolve_card(opened: OpenedSource, architecture: str | None = None, *, check: bool = True) -> ArchCard:
    """The card named by `architecture`, else the one the source's tensors fit (logged).

    With `check`, a named card that the source does not fit is refused in one line saying what differs
    (and which card the source does fit); without it (`--allow-missing`), an inexact source takes the
    closest card.
    """
    if architecture is not None:
        card = get_card(architecture)
        card.require_tf()
        if check:
            problem = mismatch_message(card, model_shapes(opened.shapes()), "tf", legacy=opened.legacy,
                                       where=str(opened.path))
            if problem:
                raise ArchitectureMismatchError(problem)
        return card
    shapes = model_shapes(opened.shapes())
    if not check:  # --allow-missing: the closest card will do, its differences are reported by the mapping
        ranked = fits(shapes, "tf", legacy=opened.legacy)
        if ranked and ranked[0].matched and not ranked[0].exact:
            log.warning("%s: closest architecture %s (%s)", opened.path, ranked[0].card.name,
                        ranked[0].differences())
            return ranked[0].card
    card = detect_card(shapes, "tf", legacy=opened.legacy, where=str(opened.path))
    log.info("%s: detected architecture %s (all %d tensors of its name table, names and shapes)",
             opened.path, card.name, len(card.tf_name_table))
    return card
