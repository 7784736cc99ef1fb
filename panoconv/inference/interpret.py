"""What a network output means for one image: metric depth, a point cloud, and the words that say so.

`predict_files` decides which files to write; this module knows what is in them. Everything here takes
an `Interpretation` (the image's plan, depth convention, baseline and focal length), built once per image
by `interpretation_of`, so the depth a `.npy` holds, the points of a `.ply` and what `_meta.json` says
about both come from the same numbers.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from panoconv.arch import ArchCard
from panoconv.inference import depth as depth_mod
from panoconv.inference.depth import CONVENTION_FORMULA
from panoconv.inference.layout import PanoramaLayout
from panoconv.inference.pipeline import Plan
from panoconv.inference.resize import resize_numpy

log = logging.getLogger(__name__)

#: what each output kind holds, for `_meta.json` ({convention} is filled in)
HOLDS = {"disp": "disparity, fraction of the image width", "depth": "metric depth (m), {convention}",
         "png": "disparity colour map (or inverse depth)", "ply": "points (m) from depth, {convention}",
         "upstream-npy": "upstream's saved array s = d (W / pi) / B * W / w; depth = (W / pi) / s"}


@dataclass(frozen=True)
class Interpretation:
    """How one image's output turns into metres."""

    plan: Plan
    convention: str  # rectilinear | geometric | upstream (see inference.depth)
    baseline: float  # metres
    focal: float | None  # rectilinear focal length (px) at the input width; None for panoramas


def interpretation_of(plan: Plan, *, baseline: float | None = None, focal: float | None = None,
                      depth_convention: str = "geometric") -> Interpretation:
    """Defaults: KITTI's baseline and focal length for rectilinear images (the focal scaled to the
    width, logged), the panorama baseline for equirectangular ones; `depth_convention` applies to
    panoramas only (a rectilinear image has one)."""
    panorama = plan.camera == "equirectangular"
    if baseline is None:
        baseline = depth_mod.PANORAMA_BASELINE if panorama else depth_mod.KITTI_BASELINE
    if panorama:
        focal = None
    elif focal is None:
        focal, note = depth_mod.kitti_focal(plan.width)
        if note:
            log.info("%s", note)
    return Interpretation(plan, depth_convention if panorama else "rectilinear", baseline, focal)


def is_band(plan: Plan, layout: PanoramaLayout) -> bool:
    """The image is a panorama band (`--band`): it covers the layout's crop rows, not the whole sphere."""
    return bool(layout.band and plan.panorama is not None)


def disparity_to_depth(disp: np.ndarray, it: Interpretation) -> np.ndarray:
    """Metric depth of a disparity map (width fractions, so valid at any output resolution)."""
    plan = it.plan
    if it.convention == "upstream":
        net_width = plan.panorama.net_width if plan.panorama is not None else plan.net_size[1]
        return depth_mod.panorama_depth_upstream(disp, plan.width, net_width, it.baseline)
    if plan.camera == "equirectangular":
        return depth_mod.panorama_depth(disp, it.baseline)
    return depth_mod.rectilinear_depth(disp, plan.width, it.focal, it.baseline)


def point_cloud(depth: np.ndarray, image: np.ndarray, it: Interpretation,
                layout: PanoramaLayout) -> tuple[np.ndarray, np.ndarray]:
    """Back-project `depth` (input or network resolution) with the camera model; colours from `image`
    (the input, H x W x 3). Returns (N, 3) points in metres and their (N, 3) colours."""
    plan = it.plan
    h, w = depth.shape
    if plan.camera == "equirectangular":
        lat_top, lat_bottom = math.pi / 2, -math.pi / 2
        if is_band(plan, layout):  # a band: where the layout's crop puts it
            lat_top = math.pi / 2 - layout.crop_top * math.pi
            lat_bottom = math.pi / 2 - layout.crop_bottom * math.pi
        elif plan.panorama is not None and (h, w) != (plan.height, plan.width):  # raw: the cropped band
            p = plan.panorama
            lat_top = math.pi / 2 - p.crop_start / p.height * math.pi
            lat_bottom = math.pi / 2 - p.crop_stop / p.height * math.pi
            image = image[p.crop_start:p.crop_stop]
        points, idx = depth_mod.spherical_points(depth, lat_top, lat_bottom)
    else:
        fx, fy = it.focal * w / plan.width, it.focal * h / plan.height
        points, idx = depth_mod.pinhole_points(depth, fx, fy, w / 2.0, h / 2.0)
    if image.shape[:2] != (h, w):
        image = resize_numpy(image, (h, w), "triangle")
    return points, image.reshape(-1, 3)[idx]


def ply_comments(source: Path, card: ArchCard, it: Interpretation) -> list[str]:
    """Header comments of a predicted point cloud: units, axes, camera and where the numbers came from."""
    plan = it.plan
    lines = [f"source {source.name}", f"generator panoconv predict ({card.name})", "units metres"]
    if plan.camera == "equirectangular":
        lines += ["camera equirectangular: radial distance along each pixel's ray",
                  "axes x right, y up, z forward (longitude 0 = image centre column)"]
    else:
        lines += [f"camera rectilinear pinhole, focal {it.focal:.6g} px at width {plan.width}",
                  "axes x right, y down, z forward (optical axis), origin at the camera"]
    if card.output_kind == "disparity":
        lines.append(f"depth from disparity with baseline {it.baseline:g} m")
        lines.append(f"depth convention {it.convention}: {CONVENTION_FORMULA[it.convention]}")
    lines.append("colour per vertex from the input image")
    return lines


def output_metadata(source: Path, card: ArchCard, it: Interpretation, layout: PanoramaLayout, *,
                    output_shape: tuple[int, ...], files: Mapping[str, str]) -> dict:
    """What `<stem>_meta.json` says about the outputs of one image; `files`: output kind -> file name."""
    plan = it.plan
    meta: dict = {"input": str(source), "arch": card.name, "camera": plan.camera, "resample": plan.resample,
                  "band_input": is_band(plan, layout), "input_size": [plan.height, plan.width],
                  "network_size": list(plan.net_size), "output_size": list(output_shape[:2]),
                  "depth_convention": it.convention, "depth_formula": CONVENTION_FORMULA[it.convention],
                  "baseline_m": it.baseline, "outputs": {}}
    if it.focal is not None:
        meta["focal_px"] = it.focal
    for kind, name in files.items():
        meta["outputs"][kind] = {"file": name, "holds": HOLDS[kind].format(convention=it.convention)}
    return meta
