"""`StereoListDataset`: stereo pairs from a `left right` file list, resized and augmented as the reference.

Samples are `{"left": (3, H, W) float32, "right": (3, H, W) float32, "index": int}` in [0, 1].

Augmentation randomness comes only from (seed, epoch, index) (see `augment.py`), so a resumed run or any
DDP rank reproduces exactly the same sample; call `set_epoch(epoch)` before each epoch (like
`DistributedSampler.set_epoch`). With DataLoader workers, `set_epoch` must be called before the iterator
is created (so not with `persistent_workers=True`).

Unreadable images found at load time: without `skip_bad` they raise `ImageReadError` / `StereoDataError`
naming the list line. With `skip_bad=True`, `__getitem__` logs and returns None, and `collate_skip_none`
(pass it as the DataLoader's `collate_fn`) drops those samples from the batch; a batch can therefore be
smaller than `batch_size`, and `collate_skip_none` returns None when every sample of a batch was bad
(the trainer skips that step). Chosen over resampling because it never hides which file is broken and
keeps the sample-to-index mapping fixed.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset, default_collate

from panoconv.data.augment import augment_pair, draw_params, sample_rng
from panoconv.data.filelist import read_pair_list
from panoconv.data.resize import resize_area
from panoconv.errors import PanoconvError
from panoconv.geometry.constants import KITTI_FOV_DEG, PANORAMA_FOV_DEG, WARP_MODES
from panoconv.io.images import ImageReadError, load_rgb

log = logging.getLogger(__name__)

WARPS = WARP_MODES
DEFAULT_FOV = {"rectilinear": KITTI_FOV_DEG, "equirectangular": KITTI_FOV_DEG, "panorama": PANORAMA_FOV_DEG}
#: synth `kind` -> the warp a model should train with on it
KIND_TO_WARP = {"rectilinear": "rectilinear", "equirect": "equirectangular", "panorama": "panorama"}


class StereoDataError(PanoconvError):
    """A stereo pair cannot be used (e.g. left and right differ in size)."""


class StereoListDataset(Dataset):
    """Stereo pairs from `list_file` (paths relative to `root`), area-resized to (height, width)."""

    def __init__(self, list_file: Path | str, root: Path | str, height: int = 256, width: int = 512,
                 augment: bool = False, seed: int = 0, warp: str = "rectilinear",
                 fov_deg: float | None = None, skip_bad: bool = False) -> None:
        if warp not in WARPS:
            raise PanoconvError(f"unknown warp {warp!r}; expected one of {', '.join(WARPS)}")
        if height < 1 or width < 1:
            raise PanoconvError(f"training size must be positive, got {height}x{width}")
        self.pairs = read_pair_list(list_file, root, skip_bad=skip_bad)
        self.height, self.width = int(height), int(width)
        self.augment, self.seed, self.skip_bad = bool(augment), int(seed), bool(skip_bad)
        self.warp = warp
        self.fov_deg = float(DEFAULT_FOV[warp] if fov_deg is None else fov_deg)
        self.epoch = 0

    @classmethod
    def from_synth(cls, data_dir: Path | str, split: str = "train", **kwargs: Any) -> StereoListDataset:
        """Open a `panoconv synth` output; warp and fov come from its meta.json unless given."""
        data_dir = Path(data_dir)
        meta_file = data_dir / "meta.json"
        if not meta_file.is_file():
            raise PanoconvError(f"{data_dir}: no meta.json (not a panoconv synth output)")
        meta = json.loads(meta_file.read_text())
        kwargs.setdefault("warp", KIND_TO_WARP[meta["kind"]])
        kwargs.setdefault("fov_deg", meta["fov_deg"])
        return cls(data_dir / f"{split}.txt", data_dir, **kwargs)

    def set_epoch(self, epoch: int) -> None:
        """Select the augmentation draws of `epoch` (call before every epoch, on every rank)."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.pairs.entries)

    def describe(self, index: int) -> str:
        """Where sample `index` comes from (list file and line, image paths), for error messages."""
        entry = self.pairs.entries[index]
        return f"{entry.where()} ({entry.left}, {entry.right})"

    def __getitem__(self, index: int) -> dict[str, Any] | None:
        entry = self.pairs.entries[index]
        try:
            left, right = self._load(index)
        except (ImageReadError, StereoDataError) as err:
            if not self.skip_bad:
                raise
            log.warning("skipping %s: %s", entry.where(), err)
            return None
        if self.augment:
            left, right = augment_pair(left, right, draw_params(sample_rng(self.seed, self.epoch, index)))
        return {"left": _chw(left), "right": _chw(right), "index": int(index)}

    def _load(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        entry = self.pairs.entries[index]
        try:
            left = load_rgb(entry.left).pixels
            right = load_rgb(entry.right).pixels
        except ImageReadError as err:
            raise ImageReadError(f"{entry.where()}: {err}") from None
        if left.shape != right.shape:
            raise StereoDataError(f"{entry.where()}: left {left.shape[1]}x{left.shape[0]} and right "
                                  f"{right.shape[1]}x{right.shape[0]} images differ in size")
        return (resize_area(left, self.height, self.width), resize_area(right, self.height, self.width))


def _chw(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1), dtype=np.float32))


def collate_skip_none(batch: list[dict[str, Any] | None]) -> dict[str, Any] | None:
    """`default_collate` over the samples that loaded; None if none did (skip that step)."""
    kept = [b for b in batch if b is not None]
    if not kept:
        return None
    return default_collate(kept)
