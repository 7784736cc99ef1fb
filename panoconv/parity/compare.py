"""The one place parity statistics are defined: every report (network, loss, pipeline) computes its
numbers here, in float64, uses the same verdict words and prints the same metric definitions."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

#: Verdict words of every parity report: judged and within tolerance, judged and over it, reported only.
PASS, FAIL, INFO = "PASS", "FAIL", "INFO"

#: Each metric's definition (a = candidate, PyTorch; b = reference, TensorFlow), printed in report headers.
METRICS = {
    "mse": "mean (a - b)^2",
    "max_abs": "max |a - b|",
    "max_rel": "max |a - b| / max |b| (relative to the reference's largest magnitude)",
    "range_rel": "max |a - b| / (max b - min b) (relative to the reference's range)",
    "pointwise_rel": "|a - b| / max(|b|, 1e-12) per element (misleads where b is near 0)",
}


def verdict(passed: bool) -> str:
    return PASS if passed else FAIL


def metric_definitions(*names: str) -> str:
    """One header line defining `names` (keys of `METRICS`)."""
    return "metrics (a = PyTorch, b = TensorFlow): " + "; ".join(f"{n} = {METRICS[n]}" for n in names)


def relative(error: float, scale: float) -> float:
    """error / scale; 0 when both are 0, inf when only the scale is."""
    return error / scale if scale > 0 else (0.0 if error == 0 else float("inf"))


@dataclass(frozen=True)
class ErrorStats:
    """Statistics of candidate a vs reference b (one shape), float64. NaN or inf inputs propagate."""

    mse: float
    max_abs: float
    ref_max: float  # max |b|
    span: float  # max b - min b
    max_rel: float  # relative(max_abs, ref_max)
    range_rel: float  # relative(max_abs, span)
    finite: bool  # every element of a and b is finite


def error_stats(candidate: np.ndarray, reference: np.ndarray, name: str = "tensor") -> ErrorStats:
    a = np.asarray(candidate, dtype=np.float64)
    b = np.asarray(reference, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"{name}: shapes differ, {a.shape} vs reference {b.shape}")
    if not a.size:
        return ErrorStats(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, True)
    diff = a - b
    max_abs = float(np.max(np.abs(diff)))
    ref_max = float(np.max(np.abs(b)))
    span = float(np.max(b) - np.min(b))
    return ErrorStats(float(np.mean(diff * diff)), max_abs, ref_max, span, relative(max_abs, ref_max),
                      relative(max_abs, span), bool(np.isfinite(a).all() and np.isfinite(b).all()))


def pointwise_rel(candidate: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """METRICS["pointwise_rel"] per element."""
    b = np.asarray(reference, np.float64)
    return np.abs(np.asarray(candidate, np.float64) - b) / np.maximum(np.abs(b), 1e-12)


@dataclass(frozen=True)
class TensorError:
    """mse, max_abs and max_rel (`METRICS`) of one tensor of the network check."""

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
    """`error_stats` of one tensor; all NaN when either side is not finite (never a silent pass)."""
    s = error_stats(candidate, reference, name)
    shape = tuple(np.shape(candidate))
    if not s.finite:
        nan = float("nan")
        return TensorError(name, nan, nan, nan, shape)
    return TensorError(name, s.mse, s.max_abs, s.max_rel, shape)
