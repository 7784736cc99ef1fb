"""Error statistics between a candidate and a reference tensor, computed in float64."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class TensorError:
    """mse, max |a - b|, and max_rel = max |a - b| / max |b| (relative to the reference's range, which
    stays meaningful where individual reference values cross zero)."""

    name: str
    mse: float
    max_abs: float
    max_rel: float
    shape: tuple[int, ...]

    def as_dict(self) -> dict:
        d = asdict(self)
        d["shape"] = list(self.shape)
        return d


def tensor_error(name: str, candidate: np.ndarray, reference: np.ndarray) -> TensorError:
    if candidate.shape != reference.shape:
        raise ValueError(f"{name}: shapes differ, {candidate.shape} vs {reference.shape}")
    a = np.asarray(candidate, dtype=np.float64)
    b = np.asarray(reference, dtype=np.float64)
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        nan = float("nan")
        return TensorError(name, nan, nan, nan, tuple(a.shape))
    diff = a - b
    max_abs = float(np.max(np.abs(diff))) if diff.size else 0.0
    scale = float(np.max(np.abs(b))) if b.size else 0.0
    return TensorError(name, float(np.mean(diff * diff)) if diff.size else 0.0, max_abs,
                       max_abs / scale if scale > 0 else (0.0 if max_abs == 0 else float("inf")),
                       tuple(a.shape))
