"""Compare a panoconv prediction with an output of upstream's inference script: its `.npy` or its PNG.

Upstream's `monodepth_simple.py` saves the scaled disparity as `<name>.npy` and a picture of it with
`plt.imsave(..., cmap='viridis')`, which normalises the map to its own min..max and looks each value up
in the colour map's 256-entry table (entry floor(256 x), the top value in the last entry). A PNG is
therefore inverted to its table index (0..255) and our map is normalised and binned the same way; a
scale factor between the two maps (disparity vs upstream's saved array) cancels in the normalisation.
With an `.npy` the comparison is pointwise: |ours - ref| / |ref| after the scale that best maps ours
onto ref (so `_disp.npy` and `_upstream.npy` compare alike).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from panoconv.errors import PanoconvError
from panoconv.parity.compare import METRICS, pointwise_rel, verdict

LEVELS = 256
#: Pass criteria: PNG, share of pixels within one colour level; npy, max pointwise relative difference.
PNG_WITHIN_ONE_LEVEL = 0.99
NPY_MAX_REL = 1e-3


@dataclass(frozen=True)
class UpstreamComparison:
    kind: str  # "png" (colour levels) or "npy" (values)
    pixels: int
    scale: float | None  # npy: factor applied to ours
    max_pointwise_rel: float | None  # compare.METRICS['pointwise_rel'], max and 99th percentile
    p99_pointwise_rel: float | None
    same_level: float | None  # png: share of pixels in the same colour level
    within_one_level: float | None
    mean_level_diff: float | None
    correlation: float

    @property
    def passed(self) -> bool:
        if self.kind == "png":
            return (self.within_one_level or 0.0) >= PNG_WITHIN_ONE_LEVEL
        return (self.max_pointwise_rel if self.max_pointwise_rel is not None else np.inf) <= NPY_MAX_REL

    def to_text(self) -> str:
        head = f"compared {self.pixels} pixels ({self.kind}); correlation {self.correlation:.6f}"
        if self.kind == "png":
            body = (f"same colour level {100 * self.same_level:.2f}%, within one level "
                    f"{100 * self.within_one_level:.2f}% (pass >= {100 * PNG_WITHIN_ONE_LEVEL:g}%), "
                    f"mean |level difference| {self.mean_level_diff:.3f}")
        else:
            body = (f"scale {self.scale:.6g}; max_pointwise_rel {self.max_pointwise_rel:.3e} "
                    f"(pass <= {NPY_MAX_REL:g}), p99_pointwise_rel {self.p99_pointwise_rel:.3e}\n"
                    f"pointwise_rel = {METRICS['pointwise_rel']} (a = ours x scale, b = upstream's)")
        return "\n".join([head, body, verdict(self.passed)])

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "passed": self.passed}, indent=2)


def colormap_levels(rgb: np.ndarray, cmap: str = "viridis") -> np.ndarray:
    """(H, W, 3) uint8 picture -> (H, W) table index 0..255 of the nearest colour of `cmap`."""
    from matplotlib import colormaps

    if cmap not in colormaps:
        raise PanoconvError(f"unknown colour map {cmap!r}")
    # integer input indexes the table; bytes=True rounds as plt.imsave does
    table = colormaps[cmap].resampled(LEVELS)(np.arange(LEVELS), bytes=True)[:, :3].astype(np.float32)
    flat = rgb.reshape(-1, 3).astype(np.float32)
    best = np.empty(len(flat), np.int64)
    for start in range(0, len(flat), 65536):  # bounded memory: (chunk, 256) distances
        chunk = flat[start:start + 65536]
        best[start:start + 65536] = np.argmin(((chunk[:, None, :] - table[None]) ** 2).sum(-1), 1)
    return best.reshape(rgb.shape[:2])


def value_levels(values: np.ndarray) -> np.ndarray:
    """Map normalised to its min..max and binned as matplotlib does: floor(256 x), 1.0 in the last bin."""
    lo, hi = np.nanmin(values), np.nanmax(values)
    x = (values - lo) / max(hi - lo, 1e-30)
    return np.clip(np.floor(x * LEVELS), 0, LEVELS - 1).astype(np.int64)


def _load_npy(path: Path) -> np.ndarray:
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise PanoconvError(f"{path}: not a readable .npy array ({err})") from None
    array = np.squeeze(array)
    if array.ndim != 2 or not np.issubdtype(array.dtype, np.floating):
        raise PanoconvError(f"{path}: expected a 2-D float map, got {array.dtype} {array.shape}")
    return array.astype(np.float64)


def _load_png(path: Path) -> np.ndarray:
    from panoconv.io.images import ImageReadError, load_rgb

    try:
        return np.rint(load_rgb(path).pixels * 255.0).astype(np.uint8)
    except ImageReadError as err:
        raise PanoconvError(str(err)) from None


def compare_with_upstream(prediction: Path, reference: Path, cmap: str = "viridis") -> UpstreamComparison:
    """`prediction`: a panoconv `.npy` (disparity or upstream array); `reference`: upstream's `.npy` or
    PNG."""
    ours = _load_npy(Path(prediction))
    is_png = Path(reference).suffix.lower() != ".npy"
    ref_img = _load_png(Path(reference)) if is_png else None
    ref = _load_npy(Path(reference)) if not is_png else None
    shape = ref_img.shape[:2] if ref_img is not None else ref.shape
    if ours.shape != tuple(shape):
        raise PanoconvError(f"{prediction}: {ours.shape[1]}x{ours.shape[0]} does not match {reference} "
                            f"({shape[1]}x{shape[0]}); predict the same image (--band for a cropped strip)")
    ok = np.isfinite(ours) if ref is None else np.isfinite(ours) & np.isfinite(ref)
    if not ok.any():
        raise PanoconvError(f"{prediction}: no finite pixels to compare")
    if ref_img is not None:
        theirs = colormap_levels(ref_img, cmap)[ok]
        mine = value_levels(np.where(ok, ours, np.nan))[ok]
        diff = np.abs(mine - theirs)
        corr = float(np.corrcoef(mine, theirs)[0, 1]) if mine.std() > 0 and theirs.std() > 0 else 0.0
        return UpstreamComparison("png", int(ok.sum()), None, None, None, float(np.mean(diff == 0)),
                                  float(np.mean(diff <= 1)), float(diff.mean()), corr)
    a, b = ours[ok], ref[ok]
    scale = float(np.dot(a, b) / max(np.dot(a, a), 1e-300))
    rel = pointwise_rel(a * scale, b)
    corr = float(np.corrcoef(a, b)[0, 1]) if a.std() > 0 and b.std() > 0 else 0.0
    return UpstreamComparison("npy", int(ok.sum()), scale, float(rel.max()), float(np.percentile(rel, 99)),
                              None, None, None, corr)
