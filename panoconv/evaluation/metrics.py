"""The standard monocular depth metrics (Eigen et al.), as monodepth and OmniDepth report them.

All functions take one image's ground truth and prediction in metres on already-valid pixels; data-set
protocols (crops, caps, median scaling, averaging over images) live in the callers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

METRIC_NAMES = ("abs_rel", "sq_rel", "rmse", "rmse_log", "a1", "a2", "a3")


@dataclass(frozen=True)
class DepthMetrics:
    abs_rel: float
    sq_rel: float
    rmse: float
    rmse_log: float
    a1: float
    a2: float
    a3: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def compute_depth_metrics(gt: np.ndarray, pred: np.ndarray) -> DepthMetrics:
    """Metrics over matching 1-D (or any-shape) arrays of valid, positive depths.

    abs_rel = mean(|gt - p| / gt), sq_rel = mean((gt - p)^2 / gt), rmse, rmse_log,
    a_k = mean(max(gt / p, p / gt) < 1.25^k).
    """
    gt = np.asarray(gt, dtype=np.float64).ravel()
    pred = np.asarray(pred, dtype=np.float64).ravel()
    if gt.shape != pred.shape:
        raise ValueError(f"ground truth has {gt.size} values, prediction {pred.size}")
    if gt.size == 0:
        raise ValueError("no valid pixels to evaluate")
    if (gt <= 0).any() or (pred <= 0).any():
        raise ValueError("depths must be positive; mask and clip before computing metrics")
    ratio = np.maximum(gt / pred, pred / gt)
    return DepthMetrics(
        abs_rel=float(np.mean(np.abs(gt - pred) / gt)),
        sq_rel=float(np.mean((gt - pred) ** 2 / gt)),
        rmse=float(np.sqrt(np.mean((gt - pred) ** 2))),
        rmse_log=float(np.sqrt(np.mean((np.log(gt) - np.log(pred)) ** 2))),
        a1=float(np.mean(ratio < 1.25)),
        a2=float(np.mean(ratio < 1.25**2)),
        a3=float(np.mean(ratio < 1.25**3)),
    )


def median_scale(gt: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Scale `pred` so its median matches the ground truth's (for scale-ambiguous models)."""
    return pred * (np.median(gt) / np.median(pred))


def mean_metrics(per_image: list[DepthMetrics]) -> DepthMetrics:
    """Average per-image metrics (the protocol monodepth and OmniDepth both use)."""
    if not per_image:
        raise ValueError("no images were evaluated")
    keys = METRIC_NAMES
    return DepthMetrics(**{k: float(np.mean([getattr(m, k) for m in per_image])) for k in keys})
