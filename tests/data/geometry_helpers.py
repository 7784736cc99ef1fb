"""Re-projection helpers for the synthetic-geometry tests (independent of the generator's writer)."""

from __future__ import annotations

import numpy as np


def sample(image: np.ndarray, col: np.ndarray, row: np.ndarray, wrap: bool = False) -> np.ndarray:
    """Bilinear sample of (H, W[, C]) at fractional pixel indices; columns wrap if `wrap`."""
    img = image if image.ndim == 3 else image[..., None]
    h, w = img.shape[:2]
    if wrap:
        img = np.concatenate([img, img[:, :1]], axis=1)
        col = np.mod(col, w)
    c = np.clip(col, 0, img.shape[1] - 1)
    r = np.clip(row, 0, h - 1)
    c0 = np.minimum(np.floor(c).astype(int), img.shape[1] - 2)
    r0 = np.minimum(np.floor(r).astype(int), h - 2)
    fc, fr = (c - c0)[..., None], (r - r0)[..., None]
    out = ((img[r0, c0] * (1 - fc) + img[r0, c0 + 1] * fc) * (1 - fr)
           + (img[r0 + 1, c0] * (1 - fc) + img[r0 + 1, c0 + 1] * fc) * fr)
    return out if image.ndim == 3 else out[..., 0]


def equirect_project(points: np.ndarray, width: int, fov_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """3D points (..., 3) -> the reference projection's pixel indices (x, y)."""
    a = width / np.radians(fov_deg)
    lon = np.arctan2(points[..., 0], points[..., 2])
    lat = np.arcsin(points[..., 1] / np.linalg.norm(points, axis=-1))
    return lon * a + width / 2, lat * a  # y still needs + H/2


def photometric_check(left_img, left_depth, other_img, other_depth, col, row, expected_depth, wrap=False):
    """Mean colour error on pixels visible in both views, visible fraction, and the error without warping."""
    h, w = left_depth.shape
    inside = (row >= 0) & (row <= h - 1) & ((col >= 0) & (col <= w - 1) if not wrap else True)
    sampled_depth = sample(other_depth, col, row, wrap)
    visible = inside & (np.abs(sampled_depth - expected_depth) < 0.01 * expected_depth)
    warped = sample(other_img, col, row, wrap)
    err = np.abs(warped - left_img).mean(axis=-1)[visible].mean()
    base = np.abs(other_img - left_img).mean(axis=-1)[visible].mean()
    return err, visible.mean(), base
