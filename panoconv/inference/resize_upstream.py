"""The resizes of upstream's inference scripts, reproduced exactly: 8-bit Pillow Lanczos in, cv2 bilinear
back.

Upstream (`monodepth_simple.py` of both repositories) resizes the uint8 image with
`scipy.misc.imresize(img, size, interp='lanczos')`, which is Pillow's `Image.resize(LANCZOS)` on the
uint8 array. Pillow resizes separably in two passes, horizontal first, in fixed point: each tap weight
is the normalised Lanczos-3 weight times 2**22 rounded half away from zero to an integer, each output
is `(sum(pixel * weight) + 2**21) >> 22` clipped to 0..255, **and the horizontal result is stored as
uint8 before the vertical pass reads it**. That intermediate rounding and clipping (where Lanczos
overshoots) is why a float Lanczos of the same image differs by up to ~32 grey levels. Here the same
integer arithmetic runs in numpy (int64), so the result equals Pillow's own output bit for bit
(tests compare against Pillow) without depending on the installed Pillow version.

Pillow's taps for output i of a resize n_in -> n_out: scale = n_in / n_out, fs = max(scale, 1),
support = 3 fs, centre c = (i + 0.5) scale, first tap xmin = max(int(c - support + 0.5), 0), last
min(int(c + support + 0.5), n_in) - 1 (int() truncates), weight of tap j = L((j - c + 0.5) / fs) with
L(x) = sinc(x) sinc(x / 3) on [-3, 3) and 0 elsewhere, normalised to sum 1.

The disparity goes back with `cv2.resize(disp, (W, H))` (INTER_LINEAR on float32): half-pixel centres,
two taps, no anti-aliasing, borders clamped; that is the "bilinear" kernel of `inference.resize`.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch

PRECISION_BITS = 22  # Pillow's fixed-point precision for 8-bit images (32 - 8 - 2)
LANCZOS_SUPPORT = 3.0


def _sinc(x: np.ndarray) -> np.ndarray:
    px = np.pi * x
    return np.where(x == 0.0, 1.0, np.sin(px) / np.where(x == 0.0, 1.0, px))


def _lanczos(x: np.ndarray) -> np.ndarray:
    inside = (x >= -LANCZOS_SUPPORT) & (x < LANCZOS_SUPPORT)
    return np.where(inside, _sinc(x) * _sinc(x / LANCZOS_SUPPORT), 0.0)


@lru_cache(maxsize=32)
def pillow_lanczos_taps(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """(index, weight), each (n_out, k): input pixel and fixed-point integer weight (sum ~2**22) of every
    tap, as Pillow's 8-bit Lanczos resize uses them; unused taps have weight 0 and index 0."""
    if n_in < 1 or n_out < 1:
        raise ValueError(f"resize sizes must be positive, got {n_in} -> {n_out}")
    scale = n_in / n_out
    fscale = max(scale, 1.0)
    support = LANCZOS_SUPPORT * fscale
    k = math.ceil(support) * 2 + 1
    index = np.zeros((n_out, k), np.int64)
    weight = np.zeros((n_out, k), np.int64)
    for i in range(n_out):
        centre = (i + 0.5) * scale
        xmin = max(int(centre - support + 0.5), 0)
        xmax = min(int(centre + support + 0.5), n_in)
        taps = np.arange(xmin, xmax)
        w = _lanczos((taps - centre + 0.5) / fscale)
        total = w.sum()
        if total != 0.0:
            w = w / total
        fixed = w * (1 << PRECISION_BITS)
        index[i, :taps.size] = taps
        weight[i, :taps.size] = np.where(fixed < 0, np.trunc(fixed - 0.5),
                                         np.trunc(fixed + 0.5)).astype(np.int64)
    index.setflags(write=False)
    weight.setflags(write=False)
    return index, weight


def _pass(x: np.ndarray, n_out: int, axis: int) -> np.ndarray:
    """One fixed-point Lanczos pass of a uint8 array along `axis`, rounded and clipped to uint8."""
    index, weight = pillow_lanczos_taps(x.shape[axis], n_out)
    moved = np.moveaxis(x, axis, -1).astype(np.int64)  # (..., n_in)
    acc = np.full(moved.shape[:-1] + (n_out,), 1 << (PRECISION_BITS - 1), np.int64)
    for t in range(index.shape[1]):
        acc += moved[..., index[:, t]] * weight[:, t]
    out = np.clip(acc >> PRECISION_BITS, 0, 255).astype(np.uint8)
    return np.moveaxis(out, -1, axis)


def pillow_lanczos_uint8(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(H, W[, C]) uint8 -> (h, w[, C]) uint8, bit-identical to `PIL.Image.resize((w, h), LANCZOS)`.

    Horizontal pass first, stored as uint8, then the vertical pass; a side of unchanged size is skipped.
    """
    if image.dtype != np.uint8:
        raise TypeError(f"expected a uint8 image, got {image.dtype}")
    h, w = size
    out = image
    if w != image.shape[1]:
        out = _pass(out, w, 1)
    if h != image.shape[0]:
        out = _pass(out, h, 0)
    return out if out is not image else image.copy()


def to_uint8(x: np.ndarray) -> np.ndarray:
    """Float RGB in [0, 1] -> uint8 (round half to even, clipped): exact for images read from 8-bit files."""
    return np.clip(np.rint(np.asarray(x, np.float64) * 255.0), 0, 255).astype(np.uint8)


def resize_image_upstream(image_chw: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(C, H, W) float RGB in [0, 1] -> (C, h, w) as upstream feeds it: quantised to uint8, 8-bit Pillow
    Lanczos, divided by 255, in the input's dtype (C may be 6: a stereo pair, each image alike)."""
    hwc = to_uint8(image_chw.detach().cpu().numpy().transpose(1, 2, 0))
    images = [pillow_lanczos_uint8(hwc[..., c:c + 3], size) for c in range(0, hwc.shape[2], 3)]
    out = np.concatenate(images, 2)
    # divided in the target dtype, as upstream's `astype(np.float32) / 255` (no double rounding)
    return torch.from_numpy(np.ascontiguousarray(out.transpose(2, 0, 1))).to(image_chw.dtype) / 255.0
