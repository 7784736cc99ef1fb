"""Where evaluation data comes from: (image, ground truth) pairs plus how to score and convert them.

Supported layouts:
- kitti-stereo: `ROOT/training/image_2/*_10.png` with `ROOT/training/disp_noc_0/*_10.png` (16-bit / 256).
- eigen: a list file of `image gt` rows (relative to `--root`, default the list's folder), or `image ...`
  rows with `--gt-dir` holding `<image stem>.npy|.png`; gt depth .npy (metres) or 16-bit png / 256.
- 3d60: a 3D60 split file in any published form (`panoconv.data.threed60_split.read_split`), centre
  colour and depth EXR (metres); each sample is tagged with its member data set (Matterport3D,
  Stanford2D3D, SunCG) for the per-data-set rows, and with its `file:line`.
- synth: a folder written by `panoconv synth`; `meta.json` says the kind (rectilinear / equirect use
  `<split>.txt` rows and `depth/<stem>.npy`; panorama uses `3d60_<split>.txt`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from panoconv.evaluation.protocols import GroundTruthError
from panoconv.geometry.constants import KITTI_BASELINE_M, THREED60_BASELINE_M
from panoconv.io.images import ImageReadError, open_image

EvalProtocol = Literal["kitti-stereo", "eigen", "panorama"]
#: how a monodepth disparity (fraction of width) becomes metric depth
DepthModel = Literal["pinhole", "fov"]


@dataclass(frozen=True)
class Sample:
    """`image` is the (left) input, `right` its stereo partner where the layout has one (stereo networks)."""

    image: Path
    gt: Path
    group: str | None = None  # member data set (3D60), for per-data-set metrics
    where: str | None = None  # where the sample was listed (`split:line`), for error messages
    right: Path | None = None

    def label(self) -> str:
        """`split:line (gt file)` for listed samples, else the ground-truth path."""
        return f"{self.where} ({self.gt})" if self.where else str(self.gt)


@dataclass(frozen=True)
class EvalData:
    """Samples plus the protocol and camera facts needed to turn predictions into comparable depth."""

    name: str
    protocol: EvalProtocol
    camera: str  # predict camera: rectilinear | equirectangular
    samples: list[Sample]
    read_gt: Callable[[Path], np.ndarray]
    depth_model: DepthModel
    baseline: float
    focal: float | None = None  # pinhole focal px at the image width (None: KITTI table by width)
    fov_rad: float = 2 * math.pi  # horizontal angle of the image for depth_model "fov"
    median_scaling: bool = False
    default_crop: str = "none"  # Garg crop only for KITTI's Eigen split
    skipped_rows: int = 0  # split rows left out (3D60 with skip_bad; each one logged)


def read_png16(path: Path, scale: float = 256.0) -> np.ndarray:
    """A 16-bit png (KITTI disparity or depth) as float32 / scale; 0 stays 0 (invalid)."""
    try:
        with open_image(path) as img:
            arr = np.asarray(img)
    except ImageReadError as err:
        raise GroundTruthError(str(err)) from None
    except (OSError, ValueError) as err:
        raise GroundTruthError(f"{path}: unreadable ground truth ({err})") from None
    if arr.dtype != np.uint16 and arr.dtype != np.int32:
        raise GroundTruthError(f"{path}: expected a 16-bit png (value / {scale:g}), "
                               f"got {arr.dtype} {img.mode}")
    return arr.astype(np.float32) / scale


def read_depth(path: Path) -> np.ndarray:
    """Ground-truth depth in metres from .npy, 16-bit .png (/ 256) or .exr."""
    path = Path(path)
    if not path.is_file():
        raise GroundTruthError(f"{path}: no such ground-truth file")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        try:
            arr = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as err:
            raise GroundTruthError(f"{path}: unreadable .npy ({err})") from None
        arr = np.squeeze(arr)
        if arr.ndim != 2:
            raise GroundTruthError(f"{path}: expected an H x W depth map, got shape {arr.shape}")
        return arr.astype(np.float32)
    if suffix == ".png":
        return read_png16(path)
    if suffix == ".exr":
        from panoconv.io.exr import read_depth_exr

        return read_depth_exr(path)
    raise GroundTruthError(f"{path}: unsupported ground-truth format (use .npy, 16-bit .png or .exr)")


def kitti_stereo(root: Path) -> EvalData:
    images = sorted((root / "training" / "image_2").glob("*_10.png"))
    if not images:
        raise GroundTruthError(f"{root}: no training/image_2/*_10.png (KITTI stereo 2015 layout)")
    samples = [Sample(p, root / "training" / "disp_noc_0" / p.name,
                      right=root / "training" / "image_3" / p.name)
               for p in images]
    return EvalData("kitti-stereo-2015", "kitti-stereo", "rectilinear", samples, read_png16, "pinhole",
                    KITTI_BASELINE_M)


def eigen(list_file: Path, root: Path | None = None, gt_dir: Path | None = None) -> EvalData:
    root = root or list_file.parent
    samples = []
    for line_no, line in enumerate(list_file.read_text().splitlines(), 1):
        tokens = line.split()
        if not tokens or tokens[0].startswith("#"):
            continue
        image = root / tokens[0]
        if gt_dir is not None:  # `left [right]` rows, as monodepth's eigen_test_files.txt
            cands = [gt_dir / f"{image.stem}{s}" for s in (".npy", ".png")]
            gt = next((c for c in cands if c.exists()), cands[0])
            right = root / tokens[1] if len(tokens) >= 2 else None
        elif len(tokens) >= 2:  # `image gt` or `left right gt`
            gt = root / tokens[-1]
            right = root / tokens[1] if len(tokens) >= 3 else None
        else:
            raise GroundTruthError(f"{list_file}:{line_no}: expected `image gt` (or give --gt-dir)")
        samples.append(Sample(image, gt, right=right))
    if not samples:
        raise GroundTruthError(f"{list_file}: no rows")
    return EvalData("eigen", "eigen", "rectilinear", samples, read_depth, "pinhole", KITTI_BASELINE_M,
                    default_crop="garg")


@dataclass(frozen=True)
class ThreeD60Options:
    """How to read a 3D60 split for evaluation (see `read_split`)."""

    skip_bad: bool = False
    datasets: tuple[str, ...] | None = None
    skipped_file: Path | None = None


def threed60(split_file: Path, root: Path | None = None, name: str = "3d60",
             options: ThreeD60Options = ThreeD60Options()) -> EvalData:
    """Centre colour / depth of each row, read with `panoconv.data.threed60_split.read_split`."""
    from panoconv.data.threed60_split import read_split

    split = read_split(split_file, root, mode="supervised", datasets=options.datasets,
                       skip_bad=options.skip_bad, skipped_file=options.skipped_file)
    samples = [Sample(r.path("color"), r.path("depth"), r.dataset, r.where(), r.paths.get(("color", "Right")))
               for r in split.rows]  # 2-column rows have no right view
    return EvalData(name, "panorama", "equirectangular", samples, read_depth, "fov", THREED60_BASELINE_M,
                    median_scaling=True, skipped_rows=len(split.skipped))


def synth(root: Path, split: str = "test", options: ThreeD60Options = ThreeD60Options()) -> EvalData:
    """A `panoconv synth` folder; camera, focal / field of view and baseline come from meta.json."""
    meta_path = root / "meta.json"
    if not meta_path.is_file():
        raise GroundTruthError(f"{root}: no meta.json (not a `panoconv synth` folder)")
    try:
        meta = json.loads(meta_path.read_text())
        kind = meta.get("kind")
        baseline = float(meta.get("baseline_m", KITTI_BASELINE_M))
    except (ValueError, AttributeError, TypeError) as err:
        raise GroundTruthError(f"{meta_path}: not a synth meta.json ({type(err).__name__}: {err})") from None
    if kind == "panorama":
        data = threed60(root / f"3d60_{split}.txt", root, name=f"synth-panorama/{split}", options=options)
        return EvalData(data.name, "panorama", "equirectangular", data.samples, read_depth, "fov", baseline,
                        median_scaling=True, skipped_rows=data.skipped_rows)
    list_file = root / f"{split}.txt"
    if not list_file.is_file():
        raise GroundTruthError(f"{list_file}: no such split list")
    rows = [line.split() for line in list_file.read_text().splitlines() if line.strip()]
    samples = [Sample(root / row[0], root / "depth" / f"{Path(row[0]).stem}.npy",
                      right=root / row[1] if len(row) >= 2 else None) for row in rows]
    if not samples:
        raise GroundTruthError(f"{list_file}: empty split (generate more scenes)")
    if kind == "rectilinear":
        return EvalData(f"synth-rectilinear/{split}", "eigen", "rectilinear", samples, read_depth, "pinhole",
                        baseline, focal=_meta_number(meta, "focal_px", meta_path))
    if kind == "equirect":
        return EvalData(f"synth-equirect/{split}", "eigen", "rectilinear", samples, read_depth, "fov",
                        baseline, fov_rad=_meta_number(meta, "fov_rad", meta_path))
    raise GroundTruthError(f"{meta_path}: unknown kind {kind!r}")


def _meta_number(meta: dict, key: str, where: Path) -> float:
    try:
        return float(meta[key])
    except (KeyError, TypeError, ValueError):
        raise GroundTruthError(f"{where}: no number {key!r} (was it written by `panoconv synth`?)") from None


def open_data(kind: str, path: Path, root: Path | None = None, gt_dir: Path | None = None,
              split: str = "test", threed60_options: ThreeD60Options = ThreeD60Options()) -> EvalData:
    """The evaluation data of `kind` at `path`; `threed60_options` apply to 3D60 splits (and synth
    panoramas)."""
    if kind == "kitti-stereo":
        return kitti_stereo(path)
    if kind == "eigen":
        return eigen(path, root, gt_dir)
    if kind == "3d60":
        if Path(path).is_dir():  # a folder in the 3D60 layout (e.g. from `synth --kind panorama`)
            return threed60(Path(path) / f"3d60_{split}.txt", root or Path(path), name=f"3d60/{split}",
                            options=threed60_options)
        return threed60(path, root, options=threed60_options)
    if kind == "synth":
        return synth(path, split, threed60_options)
    raise GroundTruthError(f"unknown data kind {kind!r}; use kitti-stereo, eigen, 3d60 or synth")
