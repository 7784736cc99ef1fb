"""Writers for predict outputs: raw arrays, colour-mapped PNGs and binary PLY point clouds (atomic)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from panoconv.io.atomic import atomic_file, atomic_path
from panoconv.io.images import save_rgb

DEFAULT_CMAP = "magma"
#: Robust colour range: values outside these percentiles saturate (one outlier must not wash out the map).
PERCENTILES = (2.0, 98.0)


def save_npy(path: Path, array: np.ndarray) -> None:
    with atomic_path(path) as tmp:
        np.save(tmp, np.asarray(array, np.float32))


def colorize(values: np.ndarray, cmap: str = DEFAULT_CMAP,
             percentiles: tuple[float, float] = PERCENTILES) -> np.ndarray:
    """(H, W) -> (H, W, 3) uint8 with a perceptual colormap over a percentile range; NaN -> black."""
    from matplotlib import colormaps

    finite = np.isfinite(values)
    out = np.zeros(values.shape + (3,), np.uint8)
    if not finite.any():
        return out
    lo, hi = np.percentile(values[finite], percentiles)
    scaled = np.clip((values - lo) / max(hi - lo, 1e-12), 0.0, 1.0)
    rgba = colormaps[cmap](np.where(finite, scaled, 0.0), bytes=True)
    out[finite] = rgba[..., :3][finite]
    return out


def save_png(path: Path, values: np.ndarray, cmap: str = DEFAULT_CMAP) -> None:
    save_rgb(path, colorize(values, cmap))


def write_ply(path: Path, points: np.ndarray, colors: np.ndarray | None = None) -> None:
    """Binary little-endian PLY: float32 x, y, z and (optionally) uint8 red, green, blue per vertex."""
    points = np.asarray(points, np.float32).reshape(-1, 3)
    fields = [("x", "<f4"), ("y", "<f4"), ("z", "<f4")]
    if colors is not None:
        fields += [("red", "u1"), ("green", "u1"), ("blue", "u1")]
    data = np.empty(len(points), dtype=fields)
    data["x"], data["y"], data["z"] = points.T
    if colors is not None:
        colors = np.asarray(colors).reshape(-1, 3)
        if colors.dtype != np.uint8:
            colors = np.clip(np.rint(colors * 255.0), 0, 255).astype(np.uint8)
        data["red"], data["green"], data["blue"] = colors.T
    props = "".join(f"property {'float' if t == '<f4' else 'uchar'} {n}\n" for n, t in fields)
    header = f"ply\nformat binary_little_endian 1.0\nelement vertex {len(points)}\n{props}end_header\n"
    with atomic_file(path) as f:
        f.write(header.encode("ascii"))
        f.write(data.tobytes())


def read_ply(path: Path) -> np.ndarray:
    """Read a PLY written by `write_ply` back as a structured array (for tests and tools)."""
    raw = Path(path).read_bytes()
    end = raw.index(b"end_header\n") + len(b"end_header\n")
    header = raw[:end].decode("ascii").splitlines()
    fields = [(line.split()[2], "<f4" if line.split()[1] == "float" else "u1")
              for line in header if line.startswith("property")]
    count = int(next(line.split()[2] for line in header if line.startswith("element vertex")))
    return np.frombuffer(raw[end:], dtype=fields, count=count)
