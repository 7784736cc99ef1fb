"""Map TensorFlow tensors onto a PyTorch state dict, strictly, as a pure function over the name table.

The table (`arch.<model>.NAME_TABLE`) says for every tensor its TF name, PyTorch name, TF shape and
layout change. `map_to_torch` fills every PyTorch parameter exactly once and reports what did not fit:
missing parameters, unexpected model tensors, shape mismatches and non-finite values. Optimizer state
(Adam slots, beta powers, step counters) is never a model tensor: it is listed as skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from panoconv.arch import Layout, TensorMapping
from panoconv.errors import WeightMappingError
from panoconv.readers import canonical_tf_name, is_optimizer_state

#: Bumped whenever the mapping's meaning changes; stored in converted files' metadata.
MAPPING_VERSION = "1"

class TensorSource(Protocol):
    """Anything that lists TF tensor names and reads them: a checkpoint reader, a store, a dict."""

    def names(self) -> list[str]: ...

    def read(self, name: str) -> np.ndarray: ...


class DictSource:
    """An in-memory `TensorSource` (TF name -> array)."""

    def __init__(self, values: Mapping[str, np.ndarray], legacy: bool = False) -> None:
        self.values = values
        self.legacy = legacy

    def names(self) -> list[str]:
        return list(self.values)

    def read(self, name: str) -> np.ndarray:
        return np.asarray(self.values[name])


@dataclass
class MappingReport:
    """What the mapping did; `ok` only when every parameter was filled and every model tensor used."""

    filled: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # PyTorch names with no source tensor
    unexpected: list[str] = field(default_factory=list)  # source model tensors not in the table
    mismatched: list[tuple[str, tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)
    nonfinite: list[str] = field(default_factory=list)
    skipped_optimizer: list[str] = field(default_factory=list)
    reshaped_legacy: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched or self.nonfinite)

    def problems(self, limit: int = 6) -> str:
        """One line naming what is wrong, e.g. for a CLI error."""
        parts = []
        for label, items in (("missing", self.missing), ("unexpected", self.unexpected),
                             ("non-finite", self.nonfinite)):
            if items:
                more = f", ... ({len(items)} in all)" if len(items) > limit else ""
                shown = ", ".join(items[:limit]) + more
                parts.append(f"{len(items)} {label}: {shown}")
        if self.mismatched:
            shown = ", ".join(f"{n} expected {e} got {g}" for n, e, g in self.mismatched[:limit])
            parts.append(f"{len(self.mismatched)} shape mismatch: {shown}")
        return "; ".join(parts) if parts else "all tensors mapped"

    def as_dict(self) -> dict:
        return {"filled": len(self.filled), "missing": self.missing, "unexpected": self.unexpected,
                "mismatched": [{"name": n, "expected": list(e), "got": list(g)} for n, e,
                               g in self.mismatched],
                "nonfinite": self.nonfinite, "skipped_optimizer": len(self.skipped_optimizer),
                "reshaped_legacy": len(self.reshaped_legacy)}


def _fit_shape(array: np.ndarray, row: TensorMapping, legacy: bool) -> np.ndarray | None:
    """The array in the row's TF shape, or None. The earlier port stored everything as (1, N)."""
    if tuple(array.shape) == row.tf_shape:
        return array
    if legacy and array.ndim == 2 and array.shape[0] == 1 and array.size == int(np.prod(row.tf_shape)):
        return array.reshape(row.tf_shape)  # C order of the HWIO kernel, as the port flattened it
    return None


def map_to_torch(source: TensorSource, table: Iterable[TensorMapping], *, legacy: bool = False,
                 strict: bool = True,
                 on_tensor: Callable[[str], None] | None = None) -> tuple[dict[str, np.ndarray],
                                                                          MappingReport]:
    """Build the PyTorch state dict (numpy arrays, PyTorch layouts) from `source`.

    `strict`: raise `WeightMappingError` listing every problem unless all parameters are filled
    exactly once and every model tensor of the source is used. Non-strict returns what fitted and the
    report (missing parameters are simply absent from the state dict).
    """
    table = list(table)
    by_tf = {row.tf_name: row for row in table}
    report = MappingReport()
    state: dict[str, np.ndarray] = {}
    seen: set[str] = set()
    for raw_name in source.names():
        name = canonical_tf_name(raw_name)
        if is_optimizer_state(name):
            report.skipped_optimizer.append(name)
            continue
        row = by_tf.get(name)
        if row is None:
            report.unexpected.append(name)
            continue
        if name in seen:
            raise WeightMappingError(f"tensor {name} appears twice in the source")
        seen.add(name)
        array = source.read(raw_name)
        fitted = _fit_shape(array, row, legacy)
        if fitted is None:
            report.mismatched.append((name, row.tf_shape, tuple(array.shape)))
            continue
        if fitted is not array:
            report.reshaped_legacy.append(name)
        if not np.isfinite(fitted).all():
            report.nonfinite.append(name)
            continue
        state[row.torch_name] = row.layout.to_torch(fitted)
        report.filled.append(row.torch_name)
        if on_tensor is not None:
            on_tensor(name)
    report.missing = [row.torch_name for row in table if row.torch_name not in state
                      and row.tf_name not in {n for n, _, _ in report.mismatched}
                      and row.tf_name not in report.nonfinite]
    if strict and not report.ok:
        raise WeightMappingError(f"source does not match the network: {report.problems()}",
                                 report.missing, report.unexpected, report.mismatched)
    return state, report


def torch_to_tf(state: Mapping[str, np.ndarray], table: Iterable[TensorMapping]) -> dict[str, np.ndarray]:
    """The inverse mapping (PyTorch state dict -> TF names and layouts), e.g. to feed the TF reference."""
    return {row.tf_name: row.layout.to_tf(np.asarray(state[row.torch_name])) for row in table}


__all__ = [
    "MAPPING_VERSION",
    "DictSource",
    "Layout",
    "MappingReport",
    "TensorSource",
    "map_to_torch",
    "torch_to_tf",
]
