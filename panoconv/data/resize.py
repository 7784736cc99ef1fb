"""Resizing data to the training size: area for images, nearest for depth / masks / disparity maps.

Area resize is the reference's `tf.image.resize_area` (align_corners=False).

"Area" means: every output pixel is the exact average of the input area it covers. For a factor
s = in / out, output pixel i covers the input interval [i*s, (i+1)*s); input pixels that are only
partly inside that interval contribute in proportion to the overlap (so non-integer factors blend
neighbouring pixels with fractional weights; integer factors reduce to plain s x s average pooling).
Upsampling with the same rule replicates pixels (nearest-like, with blends at fractional borders).
The operation is separable, so it is two small matrix products.

Depth, validity masks and disparity maps are resized by nearest neighbour (`nearest_indices`: output
pixel i reads input pixel floor((i + 0.5) * in / out), the pixel under its centre), so a valid depth is
never blended with an invalid one (a hole at 0 m or a far outlier) and metres stay metres. A disparity in
pixels also scales with the width (`resize_disparity_px`): it is measured in pixels of the image.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=64)
def area_weights(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) matrix whose rows average the covered input interval; rows sum to 1."""
    if n_in < 1 or n_out < 1:
        raise ValueError(f"sizes must be positive, got {n_in} -> {n_out}")
    scale = n_in / n_out
    starts = np.arange(n_out) * scale
    ends = starts + scale
    edges = np.arange(n_in)
    right = np.minimum(ends[:, None], edges[None, :] + 1)
    left = np.maximum(starts[:, None], edges[None, :])
    overlap = np.clip(right - left, 0.0, None)
    weights = overlap / scale
    weights.setflags(write=False)
    return weights


def resize_area(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Area-resize an (H, W) or (H, W, C) float array to (height, width[, C]) as float32.

    Integer factors down are block means (the same numbers as the weight matrices, several times faster);
    other factors are the two weight-matrix products, computed in float64.
    """
    h, w = image.shape[:2]
    if (h, w) == (height, width):
        return np.asarray(image, dtype=np.float32)
    img = np.asarray(image, dtype=np.float64)
    rest = img.shape[2:]
    if h % height == 0 and w % width == 0:
        fh, fw = h // height, w // width
        total = np.zeros((height, width, *rest), np.float64)
        for i in range(fh):  # strided slices: much faster than a mean over reshaped axes
            for j in range(fw):
                total += img[i::fh, j::fw]
        return (total / (fh * fw)).astype(np.float32)
    rows = area_weights(h, height) @ img.reshape(h, -1)  # (height, W * C)
    rows = rows.reshape(height, w, -1).transpose(1, 0, 2).reshape(w, -1)  # (W, height * C)
    out = (area_weights(w, width) @ rows).reshape(width, height, -1).transpose(1, 0, 2)
    return out.reshape(height, width, *rest).astype(np.float32)


@lru_cache(maxsize=64)
def nearest_indices(n_in: int, n_out: int) -> np.ndarray:
    """(n_out,) input index under each output pixel centre: floor((i + 0.5) * n_in / n_out)."""
    if n_in < 1 or n_out < 1:
        raise ValueError(f"sizes must be positive, got {n_in} -> {n_out}")
    idx = np.minimum(((np.arange(n_out) + 0.5) * n_in / n_out).astype(np.int64), n_in - 1)
    idx.setflags(write=False)
    return idx


def resize_nearest(array: np.ndarray, height: int, width: int) -> np.ndarray:
    """Nearest-neighbour resize of an (H, W) or (H, W, C) array of any dtype (values copied, never mixed)."""
    h, w = array.shape[:2]
    if (h, w) == (height, width):
        return array
    return array[nearest_indices(h, height)][:, nearest_indices(w, width)]


def resize_disparity_px(disparity: np.ndarray, height: int, width: int) -> np.ndarray:
    """(H, W) disparity in pixels -> (height, width): nearest, values times width / W (0 stays 0)."""
    out = resize_nearest(np.asarray(disparity, dtype=np.float32), height, width)
    return out * np.float32(width / disparity.shape[1])
