"""`generate(SynthRequest) -> Path`: render and write a whole synthetic stereo data set atomically."""

from __future__ import annotations

import json
import logging
import math
import time
from pathlib import Path

import numpy as np
from PIL import Image

from panoconv.data.synth.cameras import pinhole_focal, pixels_per_radian
from panoconv.data.synth.layout import PANO_VIEWS, flat_names, pair_row, pano_name, pano_row
from panoconv.data.synth.request import GENERATOR_VERSION, SynthRequest
from panoconv.data.synth.views import SceneViews, camera_rays, make_scene, render_views
from panoconv.io.atomic import atomic_dir
from panoconv.io.exr import write_depth_exr, write_normals_exr
from panoconv.progress import progress

log = logging.getLogger(__name__)


def generate(request: SynthRequest) -> Path:
    """Write the data set to `request.out` (refuses an existing folder unless `force`)."""
    req = request.resolved()
    splits = req.split_sizes()
    rays = camera_rays(req)
    start = time.perf_counter()
    with atomic_dir(req.out, force=req.force) as tmp:
        for index in progress(range(req.count), desc=f"synth {req.kind}", unit="scene", enabled=req.progress):
            views = render_views(req, make_scene(req, index), rays)
            _write_views(tmp, req, index, views)
        _write_lists(tmp, req, splits)
        (tmp / "meta.json").write_text(json.dumps(_meta(req, splits), indent=2) + "\n")
    log.info("wrote %d %s scenes to %s in %.1f s", req.count, req.kind, req.out, time.perf_counter() - start)
    return req.out


def _write_views(root: Path, req: SynthRequest, index: int, views: SceneViews) -> None:
    if req.kind != "panorama":
        names = flat_names(index)
        _save_png(root / names["left"], views.left.image)
        _save_png(root / names["right"], views.right.image)
        (root / names["depth"]).parent.mkdir(parents=True, exist_ok=True)
        np.save(root / names["depth"], views.left.t.astype(np.float32))
        return
    for view, r in zip(PANO_VIEWS, (views.left, views.right, views.up)):
        assert r is not None
        _save_png(root / pano_name(req.seed, index, "color", view), r.image)
        write_depth_exr(root / pano_name(req.seed, index, "depth", view), r.t)
        write_normals_exr(root / pano_name(req.seed, index, "normal", view), r.normal)


def _save_png(path: Path, image: np.ndarray) -> None:
    """8-bit PNG with fast zlib level 1 (noisy textures compress slowly at the default level 6).

    Not individually atomic: the whole data set is built in a temporary folder (`atomic_dir`).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8)).save(path, compress_level=1)


def _split_ranges(splits: dict[str, int]) -> dict[str, range]:
    out, start = {}, 0
    for name in ("train", "val", "test"):
        out[name] = range(start, start + splits[name])
        start += splits[name]
    return out


def _write_lists(root: Path, req: SynthRequest, splits: dict[str, int]) -> None:
    for name, indices in _split_ranges(splits).items():
        rows = [" ".join(pair_row(req.kind, req.seed, i)) for i in indices]
        (root / f"{name}.txt").write_text("".join(r + "\n" for r in rows))
        if req.kind == "panorama":
            rows9 = [" ".join(pano_row(req.seed, i)) for i in indices]
            (root / f"3d60_{name}.txt").write_text("".join(r + "\n" for r in rows9))


def _meta(req: SynthRequest, splits: dict[str, int]) -> dict:
    fov = float(req.fov_deg)
    if req.kind == "rectilinear":
        focal = {"focal_px": pinhole_focal(req.width, fov)}
        depth = {"depth": "Z (metres along the optical axis) of the left view", "depth_format": "npy"}
    else:
        focal = {"pixels_per_radian": pixels_per_radian(req.width, fov), "fov_rad": math.radians(fov)}
        depth = {"depth": "radial distance (metres) of the left/centre view",
                 "depth_format": "exr" if req.kind == "panorama" else "npy"}
    return {
        "kind": req.kind, "height": req.height, "width": req.width, "fov_deg": fov,
        "baseline_m": req.baseline, "textures": req.textures, **focal, **depth,
        "splits": splits, "seed": req.seed, "count": req.count, "generator_version": GENERATOR_VERSION,
        "views": {"right": "+baseline along x",
                  **({"up": "+baseline upwards (-y)"} if req.kind == "panorama" else {})},
        "lists": ["train.txt", "val.txt", "test.txt"]
                 + (["3d60_train.txt", "3d60_val.txt", "3d60_test.txt"] if req.kind == "panorama" else []),
    }
