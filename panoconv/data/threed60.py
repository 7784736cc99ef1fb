"""The 3D60 data set (Zioulis et al. 2018/2019): 360-degree RGB-D renders for supervised and stereo training.

Layout. Split files hold 9 space-separated paths per row (relative to `root`, or absolute):
centre/right/up colour PNG, centre/right/up depth EXR, centre/right/up normal EXR, named
`<pose>_<sceneHash><n>_{color|depth|normal}_0_{Left_Down|Right|Up}_0.0.{png|exr}` and stored under a
folder naming the source data set (`Matterport3D`, `Stanford2D3D`, `SunCG`). One published split
misspells `Matteport3D`; such rows are accepted as Matterport3D and counted in `stats[...]["misspelled"]`.
Rows of other data sets than `datasets` are counted in `stats[...]["filtered_out"]`, never dropped silently.

Modes (`mode=`):
- "supervised": `{"image": (3,H,W) float32 [0,1], "depth": (1,H,W) float32 m, "mask": (1,H,W) bool, "index"}`
- "stereo": `{"left": centre colour, "right": Right colour, "index"}` (horizontal baseline, 0.26 m in 3D60)
- "stereo_vertical": `{"down": centre colour, "up": Up colour, "index"}` (vertical baseline)

Bad files: missing files are found when the split is read (row-numbered `ThreeD60Error`); unreadable files
when a sample is loaded (`ThreeD60Error` naming the row; with `skip_bad`, the sample is None, logged and
counted as `unreadable`). Wrong resolutions always raise.

Depth validity: `0 < depth <= max_depth` (8 m). NaN / inf / negative values are set to 0, masked, counted
per data set (`stats`) and logged. Optional longitudinal rotation rolls every map of a sample by the same
number of columns, drawn from (seed, epoch, index); call `set_epoch` each epoch. It is refused in "stereo"
mode (a rotation about the vertical axis would move the horizontal baseline) but fine for the vertical one. Counters filled in
DataLoader worker processes stay in those workers; call `report()` on a single-process pass for totals.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from panoconv.data.augment import sample_rng
from panoconv.errors import PanoconvError
from panoconv.io.exr import ExrReadError, read_depth_exr
from panoconv.io.images import ImageReadError, load_rgb

log = logging.getLogger(__name__)

DATASET_NAMES = ("Matterport3D", "Stanford2D3D", "SunCG")
MISSPELLINGS = {"Matteport3D": "Matterport3D"}  # a folder name in one published split list
UNKNOWN_DATASET = "unknown"
MAX_DEPTH = 8.0
DEFAULT_SIZE = (256, 512)  # (H, W)
MODES = ("supervised", "stereo", "stereo_vertical")
#: column order of a split row: (kind, view)
COLUMNS = tuple((kind, view) for kind in ("color", "depth", "normal") for view in ("Left_Down", "Right", "Up"))
NAME_RE = re.compile(
    r"^(?P<pose>\d+)_(?P<scene>[0-9A-Za-z]+)_(?P<kind>color|depth|normal)_0_(?P<view>Left_Down|Right|Up)_0\.0"
    r"\.(?P<ext>png|exr)$"
)
_COUNTERS = ("rows", "misspelled", "filtered_out", "unreadable", "nonfinite_pixels", "negative_pixels",
             "images_with_bad_depth")


class ThreeD60Error(PanoconvError):
    """A 3D60 split file or sample is missing, malformed, of the wrong size, or empty."""


@dataclass(frozen=True)
class ThreeD60Row:
    """One split row: 9 resolved paths keyed by (kind, view), its data set and 1-based line number."""

    paths: dict[tuple[str, str], Path]
    dataset: str
    line: int
    split_file: Path

    def where(self) -> str:
        return f"{self.split_file}:{self.line}"

    def path(self, kind: str, view: str = "Left_Down") -> Path:
        return self.paths[(kind, view)]


@dataclass
class ThreeD60Split:
    rows: list[ThreeD60Row]
    stats: dict[str, dict[str, int]]  # per data set: see _COUNTERS
    skipped: list[str] = field(default_factory=list)  # one reason per skipped row


def empty_stats() -> dict[str, int]:
    return {k: 0 for k in _COUNTERS}


def dataset_of(path: Path) -> tuple[str, bool]:
    """(canonical data-set name, was misspelled) from the path's folders; UNKNOWN_DATASET if none matches."""
    for part in reversed(Path(path).parts[:-1]):
        if part in DATASET_NAMES:
            return part, False
        if part in MISSPELLINGS:
            return MISSPELLINGS[part], True
    return UNKNOWN_DATASET, False


def required_columns(mode: str) -> list[tuple[str, str]]:
    """The (kind, view) files a mode reads; only these must exist."""
    if mode == "supervised":
        return [("color", "Left_Down"), ("depth", "Left_Down")]
    if mode == "stereo":
        return [("color", "Left_Down"), ("color", "Right")]
    if mode == "stereo_vertical":
        return [("color", "Left_Down"), ("color", "Up")]
    raise ThreeD60Error(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")


def _parse_row(tokens: list[str], root: Path, mode: str) -> tuple[dict[tuple[str, str], Path], str, bool]:
    """Validate one row's 9 tokens; return (paths, data set, misspelled). Raises ValueError with the reason."""
    if len(tokens) != len(COLUMNS):
        raise ValueError(f"expected {len(COLUMNS)} paths (centre/right/up colour, depth, normal), got {len(tokens)}")
    paths: dict[tuple[str, str], Path] = {}
    for token, (kind, view) in zip(tokens, COLUMNS):
        match = NAME_RE.match(Path(token).name)
        if match is None:
            raise ValueError(f"{token!r} does not follow <pose>_<scene>_<kind>_0_<view>_0.0.<ext>")
        if (match["kind"], match["view"]) != (kind, view):
            raise ValueError(f"{token!r} is a {match['kind']}/{match['view']} file where {kind}/{view} belongs")
        path = Path(token)
        paths[(kind, view)] = path if path.is_absolute() else root / path
    for column in required_columns(mode):
        if not paths[column].is_file():
            raise ValueError(f"{paths[column]}: no such file")
    name, misspelled = dataset_of(paths[("color", "Left_Down")])
    return paths, name, misspelled


def read_split(split_file: Path | str, root: Path | str | None = None, mode: str = "supervised",
               datasets: tuple[str, ...] | None = None, skip_bad: bool = False) -> ThreeD60Split:
    """Read a 3D60 split file. Errors name `file:line`; with `skip_bad`, bad rows are logged and counted.

    `datasets` keeps rows of those data sets (canonical names); other rows are counted as filtered out.
    A row whose data set cannot be told from its folders is an error when `datasets` is given.
    """
    split_file = Path(split_file)
    root = split_file.parent if root is None else Path(root)
    required_columns(mode)
    if datasets is not None:
        unknown = [d for d in datasets if d not in DATASET_NAMES]
        if unknown:
            raise ThreeD60Error(f"unknown data set(s) {unknown}; expected some of {', '.join(DATASET_NAMES)}")
    if not split_file.is_file():
        raise ThreeD60Error(f"{split_file}: no such split file")
    rows: list[ThreeD60Row] = []
    stats: dict[str, dict[str, int]] = {}
    skipped: list[str] = []
    for line_no, line in enumerate(split_file.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            paths, name, misspelled = _parse_row(line.split(), root, mode)
            if datasets is not None and name == UNKNOWN_DATASET:
                raise ValueError(f"cannot tell the data set from the folders; expected one of {DATASET_NAMES}")
        except ValueError as err:
            reason = f"{split_file}:{line_no}: {err}"
            if not skip_bad:
                raise ThreeD60Error(reason + " (pass skip_bad=True / --skip-bad to skip bad rows)") from None
            log.warning("skipping %s", reason)
            skipped.append(reason)
            continue
        counters = stats.setdefault(name, empty_stats())
        counters["misspelled"] += int(misspelled)
        if datasets is not None and name not in datasets:
            counters["filtered_out"] += 1
            continue
        counters["rows"] += 1
        rows.append(ThreeD60Row(paths, name, line_no, split_file))
    misspelled_total = sum(c["misspelled"] for c in stats.values())
    if misspelled_total:
        log.warning("%s: %d row(s) use the misspelled folder %s; read as Matterport3D",
                    split_file, misspelled_total, "/".join(MISSPELLINGS))
    if not rows:
        detail = ", ".join(f"{k}: {v['filtered_out']} filtered out" for k, v in stats.items() if v["filtered_out"])
        raise ThreeD60Error(f"{split_file}: no usable rows ({len(skipped)} skipped"
                            + (f"; {detail}" if detail else "") + ")")
    log.info("%s: %d rows (%s)%s", split_file, len(rows),
             ", ".join(f"{k} {v['rows']}" for k, v in sorted(stats.items()) if v["rows"]),
             f", {len(skipped)} skipped" if skipped else "")
    return ThreeD60Split(rows, stats, skipped)


def sanitize_depth(depth: np.ndarray, max_depth: float) -> tuple[np.ndarray, np.ndarray, int, int]:
    """(H, W) depth -> (depth with NaN/inf/negative set to 0, valid mask 0 < d <= max_depth, #nonfinite, #negative)."""
    finite = np.isfinite(depth)
    nonfinite = int((~finite).sum())
    negative = int((finite & (depth < 0)).sum())
    clean = np.where(finite & (depth >= 0), depth, 0.0).astype(np.float32)
    mask = (clean > 0) & (clean <= max_depth)
    return clean, mask, nonfinite, negative


class ThreeD60Dataset(Dataset):
    """3D60 samples from one split file; see the module docstring for modes, masks and statistics."""

    def __init__(self, split_file: Path | str, root: Path | str | None = None, mode: str = "supervised",
                 datasets: tuple[str, ...] | None = None, size: tuple[int, int] | None = DEFAULT_SIZE,
                 max_depth: float = MAX_DEPTH, rotate: bool = False, seed: int = 0,
                 skip_bad: bool = False) -> None:
        if rotate and mode == "stereo":
            raise ThreeD60Error("rotate=True is not valid in horizontal stereo mode: rolling both views turns the "
                                "baseline away from the camera's x axis that the stereo warp assumes (vertical "
                                "stereo and supervised modes are fine)")
        split = read_split(split_file, root, mode, datasets, skip_bad)
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
        """The longitudinal shift (columns, in [0, width)) of sample `index` this epoch; 0 without `rotate`."""
        if not self.rotate:
            return 0
        return int(sample_rng(self.seed, self.epoch, index).integers(0, width))

    def _check_size(self, array: np.ndarray, path: Path, row: ThreeD60Row, expected: tuple[int, int]) -> None:
        if tuple(array.shape[:2]) != expected:
            raise ThreeD60Error(
                f"{row.where()}: {path} is {array.shape[1]}x{array.shape[0]} (WxH), expected "
                f"{expected[1]}x{expected[0]}; 3D60 is 512x256 (pass size=None to accept any consistent size)")

    def _colour(self, row: ThreeD60Row, view: str, expected: tuple[int, int] | None) -> np.ndarray:
        path = row.path("color", view)
        pixels = load_rgb(path).pixels
        self._check_size(pixels, path, row, expected or pixels.shape[:2])
        return pixels

    def _depth(self, row: ThreeD60Row, expected: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        path = row.path("depth")
        raw = read_depth_exr(path)
        self._check_size(raw, path, row, expected)
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
                raise ThreeD60Error(f"{row.where()}: {err} (pass skip_bad=True / --skip-bad to skip)") from None
            self.stats.setdefault(row.dataset, empty_stats())["unreadable"] += 1
            log.warning("skipping %s: %s", row.where(), err)
            return None

    def _load(self, index: int, row: ThreeD60Row) -> dict[str, Any]:
        centre = self._colour(row, "Left_Down", self.size)
        h, w = centre.shape[:2]
        shift = self.roll_columns(index, w)

        def image(pixels: np.ndarray) -> torch.Tensor:  # (H, W, 3) -> (3, H, W), rolled
            return torch.from_numpy(np.ascontiguousarray(np.roll(pixels, shift, axis=1).transpose(2, 0, 1)))

        if self.mode == "stereo":
            return {"left": image(centre), "right": image(self._colour(row, "Right", (h, w))), "index": index}
        if self.mode == "stereo_vertical":
            return {"down": image(centre), "up": image(self._colour(row, "Up", (h, w))), "index": index}
        depth, mask = self._depth(row, (h, w))
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
        line = f"3D60 {self.mode} ({len(self)} samples, {len(self.skipped)} rows skipped): " + "; ".join(parts)
        log.info(line)
        return line
