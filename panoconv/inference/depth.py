"""Disparity -> metric depth, and depth -> 3-D points (pinhole or spherical).

Rectilinear (KITTI, monodepth section 6): depth = f * B / (d * W) with d the disparity as a fraction of
the width W, f the focal length in pixels for that width, B = 0.54 m. Equirectangular: the radial
distance r = B / (d * fov_rad), fov_rad the horizontal angle the network input spans (2 pi for a full
panorama); B defaults to 0.472 m as in the panoramic model's README.

Two depth conventions for panoramas (`DepthConvention`); both take the disparity d as a fraction of
the network input width w, W is the panorama's width in pixels:
- "geometric": r = B / (2 pi d), from the equirectangular warp the network was trained with
  (d W_net / a = B / r with a = W_net / (2 pi) pixels per radian over a full turn).
- "upstream": the author's conversion. `monodepth_simple.py` saves s = d (W / pi) / B * W / w and the
  author states depth = (W / pi) / s, i.e. depth = B w / (W d). It depends on the resolution:
  upstream / geometric = 2 pi w / W (pi at W = 2048, w = 1024; 2 pi at W = w = 1024).
Rectilinear images have one convention (KITTI's, above).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from panoconv.geometry.constants import KITTI_BASELINE_M, UPSTREAM_PANORAMA_BASELINE_M

DepthConvention = Literal["geometric", "upstream"]
DEPTH_CONVENTIONS = ("geometric", "upstream")
#: Formulas as recorded in output metadata (d: disparity as a fraction of the network width w).
CONVENTION_FORMULA = {"geometric": "r = B / (2 pi d)",
                      "upstream": "depth = (W / pi) / s, s = d (W / pi) / B * W / w",
                      "rectilinear": "z = f B / (d W)"}

#: KITTI focal lengths (px) by image width.
KITTI_FOCAL = {1242: 721.5377, 1241: 718.856, 1224: 707.0493, 1238: 718.3351}
KITTI_BASELINE = KITTI_BASELINE_M
PANORAMA_BASELINE = UPSTREAM_PANORAMA_BASELINE_M
_EPS = 1e-12


def kitti_focal(width: int) -> tuple[float, str | None]:
    """Focal length for a KITTI image width; other widths scale 721.5377 px at 1242 (returned note)."""
    if width in KITTI_FOCAL:
        return KITTI_FOCAL[width], None
    f = KITTI_FOCAL[1242] * width / 1242.0
    return f, f"width {width} is not a KITTI width: focal length scaled to {f:.2f} px (give --focal)"


def rectilinear_depth(disp: np.ndarray, width: int, focal: float,
                      baseline: float = KITTI_BASELINE) -> np.ndarray:
    """z-depth (m) = focal * baseline / (disp * width); `width` is the image width `focal` refers to."""
    return focal * baseline / (np.maximum(disp, _EPS) * width)


def panorama_depth(disp: np.ndarray, baseline: float = PANORAMA_BASELINE,
                   fov_rad: float = 2 * math.pi) -> np.ndarray:
    """Radial distance (m) = baseline / (disp * fov_rad) for equirectangular disparity."""
    return baseline / (np.maximum(disp, _EPS) * fov_rad)


def upstream_saved(disp: np.ndarray, width: int, net_width: int,
                   baseline: float = PANORAMA_BASELINE) -> np.ndarray:
    """The array upstream's `monodepth_simple.py` saves: s = d * (W / pi) / B * W / w (float32 maths
    as upstream: the disparity is float32 and the factors Python floats)."""
    angular = width / math.pi
    return np.asarray(disp, np.float32) * np.float32(angular / baseline * width / net_width)


def panorama_depth_upstream(disp: np.ndarray, width: int, net_width: int,
                            baseline: float = PANORAMA_BASELINE) -> np.ndarray:
    """The author's metric depth (W / pi) / s of upstream's saved array s (`upstream_saved`)."""
    saved = upstream_saved(np.maximum(disp, _EPS), width, net_width, baseline)
    return np.float32(width / math.pi) / saved


def pinhole_points(depth: np.ndarray, fx: float, fy: float, cx: float, cy: float) -> tuple[np.ndarray,
                                                                                           np.ndarray]:
    """(N, 3) camera points (x right, y down, z forward) of finite depths, and their flat pixel indices."""
    h, w = depth.shape
    v, u = np.mgrid[0:h, 0:w]
    keep = np.isfinite(depth) & (depth > 0)
    z = depth[keep]
    pts = np.stack([(u[keep] + 0.5 - cx) * z / fx, (v[keep] + 0.5 - cy) * z / fy, z], 1)
    return pts, np.flatnonzero(keep)


def spherical_points(radius: np.ndarray, lat_top: float = math.pi / 2,
                     lat_bottom: float = -math.pi / 2) -> tuple[np.ndarray, np.ndarray]:
    """(N, 3) points (x right, y up, z forward at longitude 0 = image centre) of finite radii.

    The map spans longitudes [-pi, pi) across its width and latitudes [lat_top, lat_bottom] from its
    top edge to its bottom edge (pixel centres at half steps).
    """
    h, w = radius.shape
    lon = (np.arange(w) + 0.5) / w * 2 * math.pi - math.pi
    lat = lat_top + (np.arange(h) + 0.5) / h * (lat_bottom - lat_top)
    lat, lon = np.meshgrid(lat, lon, indexing="ij")
    keep = np.isfinite(radius) & (radius > 0)
    r, la, lo = radius[keep], lat[keep], lon[keep]
    pts = np.stack([r * np.cos(la) * np.sin(lo), r * np.sin(la), r * np.cos(la) * np.cos(lo)], 1)
    return pts, np.flatnonzero(keep)
