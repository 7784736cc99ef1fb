"""Image resizes as explicit separable matrices, so TensorFlow and PyTorch compute the same resize.

Why matrices: `tf.image.resize` has no `F.interpolate` twin for Lanczos (and silently drops float64
to float32), while the panorama layout resizes with Lanczos. A resize along one axis is a linear map
`y = R x` with R of shape (n_out, n_in); both frameworks apply the *same* numpy-built R with their own
matmul, which makes the pipeline comparable to float64 precision.

R reproduces `tf.image.resize(..., antialias=True)` (TF's ScaleAndTranslate kernels, half-pixel
centres): for output pixel i the sample position is s = (i + 0.5) * n_in / n_out; input pixel j gets
weight k((j + 0.5 - s) / kscale) with kscale = max(n_in / n_out, 1) (the kernel widens when
downsampling, which is the anti-aliasing), the span clamped to the image, and each row normalised to
sum to 1. Sample positions are rounded to float32 as TF does, so R equals TF's own op to ~1e-7
(float32 weight rounding); `parity.pipeline` checks this through the identity-basis trick.
"triangle" is TF's `bilinear` with antialias. "bilinear" is the plain two-tap bilinear without
anti-aliasing (half-pixel centres, borders clamped): `cv2.resize(..., INTER_LINEAR)`, which upstream's
inference script uses to resize the disparity back, and `tf.image.resize(bilinear, antialias=False)`.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Literal

import numpy as np
import torch

Kernel = Literal["lanczos3", "triangle", "bilinear"]
KERNEL_RADIUS = {"lanczos3": 3.0, "triangle": 1.0, "bilinear": 1.0}
_TF_PI = 3.14159265359  # the constant TF's Lanczos kernel uses


def _kernel(name: str, x: np.ndarray) -> np.ndarray:
    x = np.abs(x)
    if name == "triangle":
        return np.maximum(0.0, 1.0 - x)
    if name == "lanczos3":
        r = 3.0
        safe = np.where(x <= 1e-3, 1.0, x)
        val = r * np.sin(_TF_PI * safe) * np.sin(_TF_PI * safe / r) / (_TF_PI * _TF_PI * safe * safe)
        return np.where(x > r, 0.0, np.where(x <= 1e-3, 1.0, val))
    raise ValueError(f"unknown resize kernel {name!r}; known: {', '.join(KERNEL_RADIUS)}")


def _bilinear_matrix(n_in: int, n_out: int) -> np.ndarray:
    """cv2 INTER_LINEAR: x = (i + 0.5) n_in / n_out - 0.5 (in float64: cv2's fractions agree with it to
    float32 rounding, not with a float32 x), x0 = floor(x), weights (1 - f, f) on x0 and x0 + 1; left of
    the first centre and right of the last the edge pixel."""
    mat = np.zeros((n_out, n_in), dtype=np.float64)
    x = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
    x0 = np.floor(x)
    frac = x - x0
    frac[x0 < 0], x0[x0 < 0] = 0.0, 0.0
    last = x0 >= n_in - 1
    frac[last], x0[last] = 0.0, n_in - 1
    rows, i0 = np.arange(n_out), x0.astype(np.int64)
    np.add.at(mat, (rows, i0), 1.0 - frac)
    np.add.at(mat, (rows, np.minimum(i0 + 1, n_in - 1)), frac)
    return mat


@lru_cache(maxsize=64)
def _resize_matrix_cached(n_in: int, n_out: int, kernel: str) -> np.ndarray:
    if kernel == "bilinear":
        mat = _bilinear_matrix(n_in, n_out)
        mat.setflags(write=False)
        return mat
    # Sample positions are computed in float32 exactly as TF's ScaleAndTranslate op does (its error
    # grows with the index, ~1e-5 at 300 px); kernel weights and normalisation in float64.
    f32 = np.float32
    inv_scale = f32(1.0) / (f32(n_out) / f32(n_in))
    kscale = max(float(inv_scale), 1.0)
    radius = f32(KERNEL_RADIUS[kernel] * kscale)
    mat = np.zeros((n_out, n_in), dtype=np.float64)
    for i in range(n_out):
        s = f32(f32(i) + f32(0.5)) * inv_scale
        start = min(max(math.ceil(float(s - radius - f32(0.5))), 0), n_in - 1)
        end = min(max(math.floor(float(s + radius - f32(0.5))), 0), n_in - 1) + 1
        j = np.arange(start, end, dtype=np.float32)
        w = _kernel(kernel, (((j + f32(0.5)) - s) * f32(1.0 / kscale)).astype(np.float64))
        total = w.sum()
        if abs(total) >= 1000 * np.finfo(np.float32).eps:
            mat[i, start:end] = w / total
    mat.setflags(write=False)
    return mat


def resize_matrix(n_in: int, n_out: int, kernel: Kernel = "lanczos3") -> np.ndarray:
    """(n_out, n_in) float64 matrix resizing one axis from n_in to n_out samples (read-only, cached)."""
    if n_in < 1 or n_out < 1:
        raise ValueError(f"resize sizes must be positive, got {n_in} -> {n_out}")
    if kernel not in KERNEL_RADIUS:
        raise ValueError(f"unknown resize kernel {kernel!r}; known: {', '.join(KERNEL_RADIUS)}")
    return _resize_matrix_cached(int(n_in), int(n_out), kernel)


def resize_torch(x: torch.Tensor, size: tuple[int, int], kernel: Kernel = "lanczos3") -> torch.Tensor:
    """Resize (..., H, W) to (..., h, w) as `R_h @ x @ R_w^T` in x's dtype."""
    h_in, w_in = x.shape[-2:]
    h, w = size
    rh = torch.from_numpy(np.array(resize_matrix(h_in, h, kernel))).to(x.dtype)
    rw = torch.from_numpy(np.array(resize_matrix(w_in, w, kernel))).to(x.dtype)
    return torch.matmul(torch.matmul(rh, x), rw.T)


def resize_numpy(x: np.ndarray, size: tuple[int, int], kernel: Kernel = "lanczos3") -> np.ndarray:
    """Resize an (H, W) or (H, W, C) array; float64 maths, result in x's float dtype (float32 otherwise)."""
    dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.float32
    rh = resize_matrix(x.shape[0], size[0], kernel)
    rw = resize_matrix(x.shape[1], size[1], kernel)
    out = np.tensordot(rh, np.asarray(x, np.float64), axes=(1, 0))
    out = np.moveaxis(np.tensordot(rw, out, axes=(1, 1)), 0, 1)
    return out.astype(dtype)
