"""Which card a set of tensors belongs to, from their names and shapes alone.

Every registered card says exactly which tensors its network has (`tf_name_table` for TF checkpoint
names, `torch_shapes()` for PyTorch state-dict keys). A source fits a card when it has every one of
them with the right shape and no other model tensor; optimizer state is removed by the caller. That
tells the family apart with no rule of its own: the encoder by its layer count (VGG 64 tensors,
ResNet50 162), stereo by conv1's input channels ([7,7,6,32] vs [7,7,3,32]), the deconv decoder by
its `Conv2d_transpose` names. A new card is detected as soon as it is registered.

A source that fits no card gets one line naming the closest card and what differs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from panoconv.arch._card import ArchCard, all_cards
from panoconv.errors import WeightMappingError

Naming = Literal["tf", "torch"]
Shape = tuple[int, ...]

_torch_shape_cache: dict[str, dict[str, Shape]] = {}


class ArchitectureMismatchError(WeightMappingError):
    """The tensors fit no registered card (or not the card asked for)."""


@dataclass
class CardFit:
    """How a set of tensors compares with one card's tensors."""

    card: ArchCard
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    mismatched: list[tuple[str, Shape, Shape]] = field(default_factory=list)  # name, expected, got
    matched: int = 0

    @property
    def exact(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)

    @property
    def distance(self) -> int:
        return len(self.missing) + len(self.unexpected) + len(self.mismatched)

    def differences(self, limit: int = 3) -> str:
        """`2 tensors are missing: a, b; 1 shape differs: c is [7, 7, 6, 32], expected [7, 7, 3, 32]`."""

        def names(items: list[str]) -> str:
            return ", ".join(items[:limit]) + (f", ... ({len(items)} in all)" if len(items) > limit else "")

        def count(n: int, one: str, many: str) -> str:
            return f"{n} {one if n == 1 else many}"

        parts = []
        if self.missing:
            parts.append(
                f"{count(len(self.missing), 'tensor is', 'tensors are')} missing: {names(self.missing)}"
            )
        if self.mismatched:
            shown = ", ".join(f"{n} is {list(g)}, expected {list(e)}" for n, e, g in self.mismatched[:limit])
            more = f", ... ({len(self.mismatched)} in all)" if len(self.mismatched) > limit else ""
            parts.append(f"{count(len(self.mismatched), 'shape differs', 'shapes differ')}: {shown}{more}")
        if self.unexpected:
            parts.append(
                f"{count(len(self.unexpected), 'tensor is', 'tensors are')} not in it: "
                f"{names(self.unexpected)}"
            )
        return "; ".join(parts)


def expected_shapes(card: ArchCard, naming: Naming) -> dict[str, Shape] | None:
    """The card's tensors under `naming`, or None if the card has no such names (PyTorch-born, TF naming)."""
    if naming == "tf":
        return None if card.tf_name_table is None else {r.tf_name: r.tf_shape for r in card.tf_name_table}
    if card.name not in _torch_shape_cache:
        _torch_shape_cache[card.name] = card.torch_shapes()
    return _torch_shape_cache[card.name]


def compare(
    card: ArchCard, shapes: Mapping[str, Shape], naming: Naming, legacy: bool = False
) -> CardFit | None:
    """Compare `shapes` (model tensors only) with the card's. `legacy`: the earlier port's flattened
    (1, N) arrays, compared by size."""
    expected = expected_shapes(card, naming)
    if expected is None:
        return None
    fit = CardFit(card)
    for name, want in expected.items():
        got = shapes.get(name)
        if got is None:
            fit.missing.append(name)
        elif tuple(got) == tuple(want) or (legacy and int(np.prod(got)) == int(np.prod(want))):
            fit.matched += 1
        else:
            fit.mismatched.append((name, tuple(want), tuple(got)))
    fit.unexpected = [name for name in shapes if name not in expected]
    return fit


def fits(
    shapes: Mapping[str, Shape], naming: Naming, legacy: bool = False, cards: Iterable[ArchCard] | None = None
) -> list[CardFit]:
    """Every card's fit, best first (exact fits, then by number of differences, then most tensors matched)."""
    results = [
        f
        for card in (cards if cards is not None else all_cards())
        if (f := compare(card, shapes, naming, legacy)) is not None
    ]
    return sorted(results, key=lambda f: (f.distance, -f.matched, f.card.name))


def detect_card(
    shapes: Mapping[str, Shape],
    naming: Naming,
    *,
    legacy: bool = False,
    where: str = "source",
    cards: Iterable[ArchCard] | None = None,
) -> ArchCard:
    """The one card the tensors fit exactly; otherwise `ArchitectureMismatchError` in one line."""
    ranked = fits(shapes, naming, legacy, cards)
    exact = [f for f in ranked if f.exact]
    if len(exact) == 1:
        return exact[0].card
    if len(exact) > 1:  # two cards with identical tensors: a registry bug, not a user error
        raise ValueError(f"cards {', '.join(f.card.name for f in exact)} have identical tensors")
    if not shapes:
        raise ArchitectureMismatchError(f"{where}: holds no model tensors")
    if not ranked or ranked[0].matched == 0:
        sample = ", ".join(list(shapes)[:3])
        count = f"{len(shapes)} model tensor" + ("" if len(shapes) == 1 else "s")
        raise ArchitectureMismatchError(
            f"{where}: fits no known architecture (its {count} match none; e.g. {sample})"
        )
    best = ranked[0]
    raise ArchitectureMismatchError(
        f"{where}: fits no known architecture; looks like {best.card.name} but {best.differences()}"
    )


def mismatch_message(
    card: ArchCard,
    shapes: Mapping[str, Shape],
    naming: Naming,
    *,
    legacy: bool = False,
    where: str = "source",
) -> str | None:
    """None if the tensors fit `card`; else one line saying what differs and which card they do fit."""
    fit = compare(card, shapes, naming, legacy)
    if fit is None:
        return f"{where}: {card.name} has no TensorFlow names (it is not a TensorFlow-born network)"
    if fit.exact:
        return None
    message = f"{where}: does not fit {card.name}: {fit.differences()}"
    other = next((f.card.name for f in fits(shapes, naming, legacy) if f.exact), None)
    if other is not None:
        message += f"; it is a {other} (use --arch {other}, or leave --arch out to detect it)"
    return message
