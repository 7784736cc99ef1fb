"""Turn a rectilinear (pinhole) stereo data set into equirectangular crops, the mixed-warp model's input.

For every output pixel: (lon, lat) by the reference projection (a = W / fov_rad, lon = (x - W/2)/a,
lat = (y - H/2)/a on integer pixel indices) -> unit ray (cos lat sin lon, sin lat, cos lat cos lon) ->
pinhole projection u = f X/Z + W_in/2, v = f Y/Z + H_in/2 (pixel i has its centre at i + 0.5; the
principal point is assumed at the image centre since file lists carry no calibration) -> bilinear sample.
Output pixels whose ray leaves the source image are black. Both views use the same mapping, so a
horizontal stereo pair stays a horizontal (+x baseline) equirectangular pair.
"""

from __future__ import annotations

import json
import logging
from dataclasses import KW_ONLY, dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from panoconv.data.filelist import read_pair_list
from panoconv.data.synth.cameras import lonlat_grid, lonlat_to_ray
from panoconv.errors import PanoconvError
from panoconv.geometry.constants import KITTI_FOV_DEG
from panoconv.io.atomic import atomic_dir
from panoconv.io.images import ImageReadError, image_size, load_rgb
from panoconv.io.overlap import check_not_input
from panoconv.progress import progress

log = logging.getLogger(__name__)

#: KITTI colour-camera focal lengths (pixels) by image width
KITTI_FOCAL = {1242: 721.5377, 1241: 718.856, 1224: 707.0493, 1238: 718.3351}


@dataclass(frozen=True)
class ReprojectRequest:
    list_file: Path
    data_root: Path
    out: Path
    _: KW_ONLY
    fov_deg: float = KITTI_FOV_DEG
    focal: float | None = None  # pixels of the source image; None -> KITTI_FOCAL by width
    height: int | None = None  # output size; None -> the source image's size
    width: int | None = None
    force: bool = False
    progress: bool = True
    max_pixels: int | None = None  # refuse larger images from their header (None: DEFAULT_MAX_PIXELS)


def focal_for(width: int, focal: float | None) -> float:
    """The given focal, else the KITTI focal for this image width; a clear error otherwise."""
    if focal is not None:
        if focal <= 0:
            raise PanoconvError(f"--focal must be positive, got {focal}")
        return float(focal)
    if width not in KITTI_FOCAL:
        raise PanoconvError(f"no known focal length for image width {width} (KITTI widths: "
                            f"{', '.join(map(str, sorted(KITTI_FOCAL)))}); pass --focal")
    return KITTI_FOCAL[width]


def equirect_sample_grid(src_h: int, src_w: int, focal: float, out_h: int, out_w: int,
                         fov_deg: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source pixel-index coordinates (col, row) for every output pixel, and where they are valid."""
    lon, lat = lonlat_grid(out_h, out_w, fov_deg)
    ray = lonlat_to_ray(lon, lat)
    z = ray[..., 2]
    front = z > 1e-6
    zs = np.where(front, z, 1.0)
    col = focal * ray[..., 0] / zs + src_w / 2.0 - 0.5
    row = focal * ray[..., 1] / zs + src_h / 2.0 - 0.5
    valid = front & (col >= -0.5) & (col <= src_w - 0.5) & (row >= -0.5) & (row <= src_h - 0.5)
    return col, row, valid


def bilinear(image: np.ndarray, col: np.ndarray, row: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Sample (H, W, C) at fractional pixel indices (edge-clamped inside, 0 where not `valid`)."""
    h, w = image.shape[:2]
    c = np.clip(col, 0.0, w - 1.0)
    r = np.clip(row, 0.0, h - 1.0)
    c0 = np.minimum(np.floor(c).astype(np.int64), w - 2) if w > 1 else np.zeros_like(c, dtype=np.int64)
    r0 = np.minimum(np.floor(r).astype(np.int64), h - 2) if h > 1 else np.zeros_like(r, dtype=np.int64)
    fc, fr = (c - c0)[..., None], (r - r0)[..., None]
    c1, r1 = np.minimum(c0 + 1, w - 1), np.minimum(r0 + 1, h - 1)
    top = image[r0, c0] * (1 - fc) + image[r0, c1] * fc
    bottom = image[r1, c0] * (1 - fc) + image[r1, c1] * fc
    out = top * (1 - fr) + bottom * fr
    return np.where(valid[..., None], out, 0.0).astype(np.float32)


def pinhole_to_equirect(image: np.ndarray, focal: float, out_h: int, out_w: int,
                        fov_deg: float) -> np.ndarray:
    """(H, W, 3) pinhole image -> (out_h, out_w, 3) equirectangular crop spanning `fov_deg` horizontally."""
    col, row, valid = equirect_sample_grid(image.shape[0], image.shape[1], focal, out_h, out_w, fov_deg)
    return bilinear(image, col, row, valid)


def reproject(req: ReprojectRequest) -> Path:
    """Reproject every pair of `req.list_file`.

    Writes OUT/<same relative paths, as .png>, OUT/<list file name> and OUT/meta.json, atomically.
    """
    if not 1.0 <= req.fov_deg < 180.0:
        raise PanoconvError(f"--fov must be in [1, 180) degrees, got {req.fov_deg}")
    if (req.height is not None and req.height < 1) or (req.width is not None and req.width < 1):
        raise PanoconvError("--height and --width must be positive")
    pairs = read_pair_list(req.list_file, req.data_root)
    check_not_input(req.out, [req.list_file, *(p for e in pairs.entries for p in (e.left, e.right))])
    # fail before any output or progress bar
    _check_first_focal(pairs.entries[0].left, req.focal, req.max_pixels)
    root = Path(req.data_root).resolve()
    rows: list[str] = []
    focals: set[float] = set()
    with atomic_dir(req.out, force=req.force) as tmp:
        done: set[str] = set()
        for entry in progress(pairs.entries, desc="reproject", unit="pair", enabled=req.progress):
            names = []
            for src in (entry.left, entry.right):
                rel = _relative_png(src, root, entry.where())
                names.append(rel)
                if rel in done:
                    continue
                image = load_rgb(src, req.max_pixels).pixels
                f = focal_for(image.shape[1], req.focal)
                focals.add(f)
                out_h, out_w = req.height or image.shape[0], req.width or image.shape[1]
                out = pinhole_to_equirect(image, f, out_h, out_w, req.fov_deg)
                (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
                pixels = np.clip(np.rint(out * 255.0), 0, 255).astype(np.uint8)
                Image.fromarray(pixels).save(tmp / rel)
                done.add(rel)
            rows.append(" ".join(names))
        (tmp / Path(req.list_file).name).write_text("".join(r + "\n" for r in rows))
        meta = {"kind": "equirect", "source_list": str(req.list_file), "fov_deg": req.fov_deg,
                "focal_px": sorted(focals), "pairs": len(rows),
                "projection": "lon=(x-W/2)/a, lat=(y-H/2)/a, a=W/fov_rad; principal point at image centre"}
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    log.info("reprojected %d pairs to %s", len(rows), req.out)
    return Path(req.out)


def _check_first_focal(path: Path, focal: float | None, max_pixels: int | None) -> None:
    """Cheap header read of the first image so a missing --focal is reported up front."""
    try:
        width = image_size(path, max_pixels)[0]
    except ImageReadError:
        return  # the real load reports the unreadable file with its line
    focal_for(width, focal)


def _relative_png(src: Path, root: Path, where: str) -> str:
    """The source path relative to the data root, with a .png suffix; refuses paths outside the root."""
    try:
        rel = Path(src).resolve().relative_to(root)
    except ValueError:
        raise PanoconvError(f"{where}: {src} is outside the data root {root}") from None
    return rel.with_suffix(".png").as_posix()
