"""The 3D60 data set (Zioulis et al. 2018/2019): 360-degree RGB-D renders for supervised and stereo training.

Split files are read in every published form by `threed60_split.read_split` (paths, naming and the
three member data sets: `threed60_paths`); rows of other data sets than `datasets` are counted, never
dropped silently, and bad rows are reported (see `read_split`).

Modes (`mode=`):
- "supervised": `{"image": (3,H,W) float32 [0,1], "depth": (1,H,W) float32 m, "mask": (1,H,W) bool, "index"}`
- "stereo": `{"left": centre colour, "right": Right colour, "index"}` (horizontal baseline, 0.26 m in 3D60)
- "stereo_vertical": `{"down": centre colour, "up": Up colour, "index"}` (vertical baseline)

Size. `size=(H, W)` resizes every sample to the training size: colour by area averaging
(`resize_area`), depth and its mask by nearest neighbour (`resize_nearest`), so a valid depth is never
blended with a hole or an outlier and metres stay metres. The native 3D60 size is 512x256; `size=None`
keeps each file's own size. The files of one row must agree in size (else a `ThreeD60Error` naming the
row and the file).

Bad files: missing files are found when the split is read; unreadable files (or an EXR without a depth
channel) when a sample is loaded (`ThreeD60Error` naming the row; with `skip_bad`, the sample is None,
logged and counted as `unreadable`).

Depth validity: `0 < depth <= max_depth` (8 m). NaN / inf / negative values are set to 0, masked, counted
per data set (`stats`) and logged. Optional longitudinal rotation rolls every map of a sample by the same
number of columns, drawn from (seed, epoch, index); call `set_epoch` each epoch. It is refused in "stereo"
mode (a rotation about the vertical axis would move the horizontal baseline) but fine for the vertical
one. Counters filled in DataLoader worker processes stay in those workers; call `report()` on a
single-process pass for totals.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from panoconv.data.augment import sample_rng
from panoconv.data.resize import resize_area, resize_nearest
from panoconv.data.threed60_paths import COLUMNS_2, COLUMNS_9, DATASET_NAMES, UNKNOWN_DATASET
from panoconv.data.threed60_split import (
    MODES,
    SkippedRow,
    ThreeD60Error,
    ThreeD60Row,
    ThreeD60Split,
    empty_stats,
    read_split,
    required_columns,
)
from panoconv.io.exr import ExrReadError, read_depth_exr
from panoconv.io.images import ImageReadError, load_rgb

log = logging.getLogger(__name__)

__all__ = ["COLUMNS", "COLUMNS_2", "DATASET_NAMES", "DEFAULT_SIZE", "MAX_DEPTH", "MODES", "UNKNOWN_DATASET",
           "SkippedRow", "ThreeD60Dataset", "ThreeD60Error", "ThreeD60Row", "ThreeD60Split", "read_split",
           "required_columns", "sanitize_depth"]

MAX_DEPTH = 8.0
DEFAULT_SIZE = (256, 512)  # (H, W)
#: column order of a 9-column split row: (kind, view)
COLUMNS = COLUMNS_9


def sanitize_depth(depth: np.ndarray, max_depth: float) -> tuple[np.ndarray, np.ndarray, int, int]:
    """(H, W) depth -> (depth with NaN/inf/negative set to 0, valid mask 0 < d <= max_depth, #nonfinite,
    #negative)."""
    finite = np.isfinite(depth)
    nonfinite = int((~finite).sum())
    negative = int((finite & (depth < 0)).sum())
    clean = np.where(finite & (depth >= 0), depth, 0.0).astype(np.float32)
    mask = (clean > 0) & (clean <= max_depth)
    return clean, mask, nonfinite, negative


class ThreeD60Dataset(Dataset):
    """3D60 samples from one split file; see the module docstring for modes, sizes, masks and statistics."""

    def __init__(self, split_file: Path | str, root: Path | str | None = None, mode: str = "supervised",
                 datasets: tuple[str, ...] | None = None, size: tuple[int, int] | None = DEFAULT_SIZE,
                 max_depth: float = MAX_DEPTH, rotate: bool = False, seed: int = 0,
                 skip_bad: bool = False, skipped_file: Path | str | None = None) -> None:
        if rotate and mode == "stereo":
            raise ThreeD60Error("rotate=True is not valid in horizontal stereo mode: rolling both views "
                                "turns the baseline away from the camera's x axis that the stereo warp "
                                "assumes (vertical stereo and supervised modes are fine)")
        if size is not None and (int(size[0]) < 1 or int(size[1]) < 1):
            raise ThreeD60Error(f"size must be positive (H, W), got {size}")
        split = read_split(split_file, root, mode, datasets, skip_bad, skipped_file)
        self.rows = split.rows
        self.stats = split.stats
        self.skipped = split.skipped
        self.mode = mode
        self.size = None if size is None else (int(size[0]), int(size[1]))
        self.max_depth = float(max_depth)
        self.rotate = rotate
        self.skip_bad = skip_bad
        self.seed = int(seed)
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.rows)

    def set_epoch(self, epoch: int) -> None:
        """Select the rotation draws of `epoch` (like `DistributedSampler.set_epoch`)."""
        self.epoch = int(epoch)

    def roll_columns(self, index: int, width: int) -> int:
        """The longitudinal shift (columns, in [0, width)) of sample `index` this epoch; 0 without
        `rotate`."""
        if not self.rotate:
            return 0
        return int(sample_rng(self.seed, self.epoch, index).integers(0, width))

    @staticmethod
    def _check_same_size(shape: tuple[int, ...], path: Path, row: ThreeD60Row, centre: tuple[int, int],
                         what: str) -> None:
        if tuple(shape[:2]) != centre:
            raise ThreeD60Error(f"{row.where()}: {path} ({what}) is {shape[1]}x{shape[0]} (WxH) but the "
                                f"row's centre colour image is {centre[1]}x{centre[0]}; a row's files must "
                                "share one size")

    def _colour(self, row: ThreeD60Row, view: str) -> np.ndarray:
        return load_rgb(row.path("color", view)).pixels

    def _depth(self, row: ThreeD60Row, centre: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        path = row.path("depth")
        raw = read_depth_exr(path)
        self._check_same_size(raw.shape, path, row, centre, "depth")
        depth, mask, nonfinite, negative = sanitize_depth(raw, self.max_depth)
        if nonfinite or negative:
            counters = self.stats.setdefault(row.dataset, empty_stats())
            counters["nonfinite_pixels"] += nonfinite
            counters["negative_pixels"] += negative
            counters["images_with_bad_depth"] += 1
            log.warning("%s: %s has %d NaN/inf and %d negative depth pixels; masked",
                        row.where(), path.name, nonfinite, negative)
        return depth, mask

    def __getitem__(self, index: int) -> dict[str, Any] | None:
        """One sample (see the module docstring); None for an unreadable file when `skip_bad` (logged,
        counted; `panoconv.data.stereo.collate_skip_none` drops it from the batch)."""
        row = self.rows[index]
        try:
            return self._load(index, row)
        except (ImageReadError, ExrReadError) as err:
            if not self.skip_bad:
                raise ThreeD60Error(f"{row.where()}: {err} "
                                    "(pass skip_bad=True / --skip-bad to skip)") from None
            self.stats.setdefault(row.dataset, empty_stats())["unreadable"] += 1
            log.warning("skipping %s: %s", row.where(), err)
            return None

    def _load(self, index: int, row: ThreeD60Row) -> dict[str, Any]:
        centre = self._colour(row, "Left_Down")
        native = centre.shape[:2]
        h, w = self.size or native
        shift = self.roll_columns(index, w)

        def image(pixels: np.ndarray) -> torch.Tensor:  # (H, W, 3) -> resized (3, h, w), rolled
            pixels = resize_area(pixels, h, w)
            return torch.from_numpy(np.ascontiguousarray(np.roll(pixels, shift, axis=1).transpose(2, 0, 1)))

        def other_view(view: str) -> torch.Tensor:
            pixels = self._colour(row, view)
            self._check_same_size(pixels.shape, row.path("color", view), row, native, f"{view} colour")
            return image(pixels)

        if self.mode == "stereo":
            return {"left": image(centre), "right": other_view("Right"), "index": index}
        if self.mode == "stereo_vertical":
            return {"down": image(centre), "up": other_view("Up"), "index": index}
        depth, mask = self._depth(row, native)
        depth, mask = resize_nearest(depth, h, w), resize_nearest(mask, h, w)  # never blends valid, invalid
        return {
            "image": image(centre),
            "depth": torch.from_numpy(np.roll(depth, shift, axis=1)[None].copy()),
            "mask": torch.from_numpy(np.roll(mask, shift, axis=1)[None].copy()),
            "index": index,
        }

    def report(self) -> str:
        """One log line with the per-data-set statistics so far (rows, misspellings, filtered, bad depth)."""
        parts = [f"{name}: " + ", ".join(f"{k}={v}" for k, v in counters.items() if v)
                 for name, counters in sorted(self.stats.items())]
        line = (f"3D60 {self.mode} ({len(self)} samples, {len(self.skipped)} rows skipped): "
                + "; ".join(parts))
        log.info(line)
        return line
