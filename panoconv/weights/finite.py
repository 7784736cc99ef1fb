"""Which tensors of a state dict hold NaN or inf: weights are checked when loaded, so a damaged file is
named with its tensor instead of producing NaN depth maps (or a crash inside the warp) later."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import torch

from panoconv.errors import NonFiniteError


def nonfinite_tensors(tensors: Iterable[tuple[str, Any]]) -> list[str]:
    """`name (k of n)` for every floating tensor holding NaN or inf.

    A sum first: NaN and inf propagate through it, and it costs a fifth of `isfinite(...).all()`; only a
    non-finite sum (which a huge finite tensor can also give) is counted exactly.
    """
    found = []
    for name, value in tensors:
        if isinstance(value, torch.Tensor) and value.is_floating_point() and value.numel():
            if bool(torch.isfinite(value.sum())):
                continue
            bad = int((~torch.isfinite(value)).sum())
            if bad:
                found.append(f"{name} ({bad} of {value.numel()})")
    return found


def summarise(names: list[str], limit: int = 3) -> str:
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def check_finite_weights(path: Path | str, state: Mapping[str, torch.Tensor]) -> None:
    """`NonFiniteError` naming the file and the first tensors that hold NaN or inf."""
    bad = nonfinite_tensors(state.items())
    if bad:
        raise NonFiniteError(f"{path}: weights hold NaN or inf values: {summarise(bad)}")
