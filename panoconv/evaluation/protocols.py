"""Per-image evaluation protocols (masks, crops, caps, scaling) on top of `metrics.compute_depth_metrics`.

- KITTI stereo 2015: gt disparity px = 16-bit png / 256, valid where > 0; depth = f B / disparity; plus
  d1_all = share of valid pixels with |error| >= 3 px and >= 5 % of the gt disparity.
- Eigen split: gt depth masked to (min_depth, max_depth), Garg or Eigen crop, prediction clipped to
  [min_depth, max_depth] (monodepth: 1e-3, 80 m).
- 3D60 / panoramas: valid 0 < gt <= 8 m and a finite positive prediction, then per-image median scaling.

Two treatments of predicted depth that is infinite (a disparity of exactly 0) or not positive:
- panoconv (default): such pixels are dropped from the image's valid pixels (Eigen, panoramas); KITTI 2015
  clips the depth of a non-positive disparity to the cap (80 m). NaN predictions are always dropped.
- `upstream_protocol=True` (`evaluate --upstream-protocol`), as monodepth's `evaluate_kitti.py`: an
  infinite depth is set to 0 and then clipped up to `MIN_DEPTH` (1e-3 m) and **kept** (Eigen, panoramas);
  on KITTI 2015 the depth is f B / disparity unguarded, so a 0 disparity is clipped to the cap and a negative
  one up to 1e-3 m. Predictions are clipped to [1e-3 m, cap] on every protocol. This can only make
  the numbers worse: a 1e-3 m prediction where the truth is metres away is a huge error, which is why
  the default leaves such pixels out (they are few for a sane model; compare both to see how many matter).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from panoconv.errors import PanoconvError
from panoconv.evaluation.metrics import DepthMetrics, compute_depth_metrics, median_scale
from panoconv.geometry.constants import KITTI_BASELINE_M

Crop = Literal["garg", "eigen", "none"]
#: (top, bottom, left, right) as fractions of H and W.
CROPS = {"garg": (0.40810811, 0.99189189, 0.03594771, 0.96405229),
         "eigen": (0.3324324, 0.91351351, 0.0359477, 0.96405229)}
MIN_DEPTH = 1e-3
KITTI_MAX_DEPTH = 80.0
PANORAMA_MAX_DEPTH = 8.0


class GroundTruthError(PanoconvError):
    """Ground truth is missing, unreadable, of the wrong size or has no valid pixel."""


@dataclass(frozen=True)
class ImageScore:
    metrics: DepthMetrics
    valid_pixels: int
    d1_all: float | None = None
    scale: float | None = None  # median-scaling factor applied, if any


def check_same_size(gt: np.ndarray, pred: np.ndarray, where: str = "") -> None:
    if gt.shape != pred.shape:
        raise GroundTruthError(f"{where + ': ' if where else ''}ground truth is {gt.shape[1]}x{gt.shape[0]} "
                               f"but the prediction is {pred.shape[1]}x{pred.shape[0]}; ground truth must "
                               f"match the input image size")


def crop_mask(shape: tuple[int, int], crop: Crop) -> np.ndarray:
    """Boolean (H, W) mask of the Garg / Eigen crop (all True for "none")."""
    mask = np.zeros(shape, bool)
    if crop == "none":
        mask[:] = True
        return mask
    if crop not in CROPS:
        raise PanoconvError(f"unknown crop {crop!r}; use garg, eigen or none")
    top, bottom, left, right = CROPS[crop]
    h, w = shape
    mask[int(top * h):int(bottom * h), int(left * w):int(right * w)] = True
    return mask


def _score(gt: np.ndarray, pred: np.ndarray, valid: np.ndarray, where: str, **extra) -> ImageScore:
    if not valid.any():
        raise GroundTruthError(f"{where + ': ' if where else ''}no valid ground-truth pixels")
    return ImageScore(compute_depth_metrics(gt[valid], pred[valid]), int(valid.sum()), **extra)


def d1_all(gt_disp_px: np.ndarray, pred_disp_px: np.ndarray, valid: np.ndarray) -> float:
    """KITTI 2015 outlier rate: |err| >= 3 px and |err| / gt >= 5 %, over valid pixels."""
    err = np.abs(gt_disp_px[valid] - pred_disp_px[valid])
    return float(np.mean((err >= 3.0) & (err / gt_disp_px[valid] >= 0.05)))


def upstream_infinite_depth(pred_depth: np.ndarray) -> np.ndarray:
    """monodepth's `depth_pred[np.isinf(depth_pred)] = 0` (then clipped up to 1e-3 m by the caller)."""
    return np.where(np.isinf(pred_depth), 0.0, pred_depth)


def kitti_stereo_score(gt_disp_px: np.ndarray, pred_disp_px: np.ndarray, focal: float,
                       baseline: float = KITTI_BASELINE_M,
                       max_depth: float = KITTI_MAX_DEPTH, where: str = "",
                       upstream_protocol: bool = False) -> ImageScore:
    """Metrics on depth from disparity (pixels) where gt > 0, prediction clipped to [1e-3, max_depth].

    Default: disparities below 1e-12 px count as 1e-12 (depth at the cap). `upstream_protocol`: depth is
    f B / disparity as upstream computes it (0 -> inf -> cap, negative -> 1e-3 m).
    """
    check_same_size(gt_disp_px, pred_disp_px, where)
    valid = gt_disp_px > 0
    gt_depth = focal * baseline / np.where(valid, gt_disp_px, 1.0)
    if upstream_protocol:
        with np.errstate(divide="ignore"):
            raw = focal * baseline / pred_disp_px
    else:
        raw = focal * baseline / np.maximum(pred_disp_px, 1e-12)
    pred_depth = np.clip(raw, MIN_DEPTH, max_depth)
    d1 = d1_all(gt_disp_px, pred_disp_px, valid) if valid.any() else None
    return _score(gt_depth, pred_depth, valid, where, d1_all=d1)


def eigen_score(gt_depth: np.ndarray, pred_depth: np.ndarray, crop: Crop = "garg",
                min_depth: float = MIN_DEPTH, max_depth: float = KITTI_MAX_DEPTH,
                median_scaling: bool = False, where: str = "", upstream_protocol: bool = False) -> ImageScore:
    """Metrics where min_depth < gt < max_depth inside the crop; prediction clipped to the same range.

    Non-finite predictions are dropped; with `upstream_protocol` an infinite one becomes `min_depth` and is
    kept (see the module docstring).
    """
    check_same_size(gt_depth, pred_depth, where)
    if upstream_protocol:
        pred_depth = upstream_infinite_depth(pred_depth)
    valid = (gt_depth > min_depth) & (gt_depth < max_depth) & crop_mask(gt_depth.shape, crop) \
        & np.isfinite(pred_depth)
    pred = np.where(np.isfinite(pred_depth), pred_depth, max_depth)
    scale = None
    if median_scaling and valid.any():
        scale = float(np.median(gt_depth[valid]) / np.median(pred[valid]))
        pred = pred * scale
    return _score(gt_depth, np.clip(pred, min_depth, max_depth), valid, where, scale=scale)


def panorama_score(gt_depth: np.ndarray, pred_depth: np.ndarray, max_depth: float = PANORAMA_MAX_DEPTH,
                   median_scaling: bool = True, where: str = "",
                   upstream_protocol: bool = False) -> ImageScore:
    """3D60 protocol: valid 0 < gt <= max_depth (and finite, positive prediction), median scaling.

    With `upstream_protocol`, infinite and non-positive predictions are clipped up to 1e-3 m and kept
    (median scaling then sees them too); NaN predictions are still dropped.
    """
    check_same_size(gt_depth, pred_depth, where)
    if upstream_protocol:
        pred_depth = np.where(np.isnan(pred_depth), pred_depth,
                              np.maximum(upstream_infinite_depth(pred_depth), MIN_DEPTH))
    valid = np.isfinite(gt_depth) & (gt_depth > 0) & (gt_depth <= max_depth) \
        & np.isfinite(pred_depth) & (pred_depth > 0)
    if not valid.any():
        raise GroundTruthError(f"{where + ': ' if where else ''}no valid pixels (gt in (0, {max_depth}] m "
                               f"with a prediction)")
    pred, scale = pred_depth, None
    if median_scaling:
        scaled = median_scale(gt_depth[valid], pred_depth[valid])
        scale = float(scaled[0] / pred_depth[valid][0])
        pred = pred_depth * scale
    return _score(gt_depth, pred, valid, where, scale=scale)
