"""Side-by-side evaluation panels: input | prediction | ground truth, one PNG per evaluated image.

Why one colour range for both maps: a panel exists to compare prediction and ground truth by eye, which only
works when equal colours mean equal values. The range comes from the valid ground truth (2-98 percentiles;
the prediction's when there is no ground truth), and it is drawn on the colour bar below and recorded in the
PNG's text chunks. The prediction is shown as it was scored: median-scaled when the protocol scales it.
Pixels without a value (invalid ground truth, NaN predictions) are grey, never a colour of the map.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from panoconv.inference.outputs import DEFAULT_CMAP, ColorScale, color_scale, colorbar, colorize, png_metadata
from panoconv.io.atomic import atomic_path

#: White gap between the columns of a panel, in pixels.
GAP = 4


@dataclass(frozen=True)
class PanelContent:
    """What one panel shows: `pred` and `gt` in one quantity (`quantity`, `units`), at the image size."""

    image: np.ndarray  # (H, W, 3) float in [0, 1]
    pred: np.ndarray  # (H, W), already scaled as scored
    gt: np.ndarray | None  # (H, W); values <= 0 or non-finite are "no ground truth"
    quantity: str = "depth"
    units: str = "m"
    note: str = ""  # e.g. "median-scaled x1.23"


def gt_valid(gt: np.ndarray) -> np.ndarray:
    """Where ground truth holds a value (sparse KITTI depth is 0 elsewhere; 3D60 has 0 / inf / NaN holes)."""
    return np.isfinite(gt) & (gt > 0)


def panel_scale(content: PanelContent, cmap: str = DEFAULT_CMAP) -> ColorScale:
    """The shared colour range: the valid ground truth's percentiles, else the prediction's."""
    if content.gt is not None and gt_valid(content.gt).any():
        return color_scale(np.where(gt_valid(content.gt), content.gt, np.nan), cmap)
    return color_scale(content.pred, cmap)


def render_panel(content: PanelContent, cmap: str = DEFAULT_CMAP) -> tuple[np.ndarray, ColorScale]:
    """(h, 2W + GAP or 3W + 2 GAP, 3) uint8: the columns side by side, a labelled colour bar below."""
    h, w = content.pred.shape
    if content.image.shape[:2] != (h, w) or (content.gt is not None and content.gt.shape != (h, w)):
        gt_shape = None if content.gt is None else content.gt.shape
        raise ValueError(f"panel parts differ in size: image {content.image.shape[:2]}, prediction {(h, w)}, "
                         f"ground truth {gt_shape}")
    scale = panel_scale(content, cmap)
    image = np.clip(np.rint(np.asarray(content.image, np.float64) * 255.0), 0, 255).astype(np.uint8)
    columns = [image, colorize(content.pred, scale=scale)]
    if content.gt is not None:
        columns.append(colorize(np.where(gt_valid(content.gt), content.gt, np.nan), scale=scale))
    gap = np.full((h, GAP, 3), 255, np.uint8)
    row = np.concatenate([part for column in columns for part in (column, gap)][:-1], axis=1)
    label = f"{content.quantity} ({content.units})" + (f", {content.note}" if content.note else "")
    return np.concatenate([row, colorbar(scale, row.shape[1], label)], axis=0), scale


def save_panel(path: Path, content: PanelContent, cmap: str = DEFAULT_CMAP) -> ColorScale:
    """Write the panel PNG atomically, with the range and the column order in its text chunks."""
    from PIL import Image, PngImagePlugin

    rgb, scale = render_panel(content, cmap)
    info = PngImagePlugin.PngInfo()
    meta = png_metadata(scale, content.quantity, content.units)
    meta["panoconv:columns"] = "input,prediction" + (",ground truth" if content.gt is not None else "")
    if content.note:
        meta["panoconv:note"] = content.note
    for key, value in meta.items():
        info.add_itxt(key, value)
    with atomic_path(Path(path)) as tmp:
        Image.fromarray(rgb).save(tmp, format="PNG", pnginfo=info)
    return scale
