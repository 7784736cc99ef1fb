"""Seeded synthetic inputs for loss parity: smooth random stereo pairs and disparity pyramids (numpy,
NCHW)."""

from __future__ import annotations

import numpy as np


def smooth_field(rng: np.random.Generator, shape: tuple[int, int, int, int], cell: int = 8) -> np.ndarray:
    """(B, C, H, W) float64 in [0, 1]: uniform noise on a coarse grid (one knot per `cell` px), bilinearly
    upsampled, so that image gradients are smooth and warp gradients meaningful."""
    b, c, h, w = shape
    gh, gw = h // cell + 2, w // cell + 2
    coarse = rng.uniform(0.0, 1.0, (b, c, gh, gw))
    ys = np.linspace(0.0, gh - 1.0, h)
    xs = np.linspace(0.0, gw - 1.0, w)
    rows = np.stack([np.stack([np.interp(xs, np.arange(gw), coarse[i, k, r]) for r in range(gh)])
                     for i in range(b) for k in range(c)])              # (B*C, gh, W)
    out = np.stack([np.stack([np.interp(ys, np.arange(gh), rows[j, :, col]) for col in range(w)], axis=1)
                    for j in range(b * c)])                             # (B*C, H, W)
    return out.reshape(b, c, h, w)


def stereo_pair(seed: int, batch: int, height: int, width: int, shift_px: int = 6
                ) -> tuple[np.ndarray, np.ndarray]:
    """(left, right), each (B, 3, H, W) float64 in [0, 1]: right is left shifted `shift_px` columns
    plus a little smooth noise (a plausible stereo pair, not an exact one)."""
    rng = np.random.default_rng(seed)
    left = smooth_field(rng, (batch, 3, height, width))
    right = np.roll(left, -shift_px, axis=3)
    right = np.clip(right + 0.05 * (smooth_field(rng, (batch, 3, height, width), cell=16) - 0.5), 0.0, 1.0)
    return left, right


def disparity_pyramid(seed: int, batch: int, height: int, width: int, num_scales: int = 4,
                      max_disp: float = 0.05) -> list[np.ndarray]:
    """[disp1 (B, 2, H, W), disp2 (H/2), ...] float64 smooth disparities in (0, max_disp)."""
    rng = np.random.default_rng(seed)
    return [max_disp * (0.05 + 0.9 * smooth_field(rng, (batch, 2, height >> i, width >> i), cell=4))
            for i in range(num_scales)]
