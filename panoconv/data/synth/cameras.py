"""Ray bundles for the three synthetic cameras.

Camera frame = world axes: x right, y down, z forward. Rays start at the camera centre.

- pinhole: pixel column i has its centre at u = i + 0.5, principal point (W/2, H/2), focal
  f = (W/2) / tan(fov/2). Rays are (x/f, y/f, 1), so the ray parameter t *is* the depth Z.
  A right camera at +B along x sees a point at column u - f*B/Z: disparity f*B/(Z*W) of the width.
- equirect crop (the reference warp's projection): a = W / fov_rad, lon = (x - W/2)/a,
  lat = (y - H/2)/a for integer pixel indices x, y (no half-pixel shift, exactly as the warp);
  ray (cos lat sin lon, sin lat, cos lat cos lon), unit length, so t is the radial distance.
- panorama: the same with fov = 360 deg and a = W / (2 pi), i.e. lon = (x - W/2) 2pi/W in [-pi, pi),
  lat = (y - H/2) 2pi/W (which is (y - H/2) pi/H when W = 2H).
"""

from __future__ import annotations

import math

import numpy as np


def pinhole_focal(width: int, fov_deg: float) -> float:
    """Focal length in pixels for a horizontal field of view."""
    return (width / 2.0) / math.tan(math.radians(fov_deg) / 2.0)


def pinhole_rays(height: int, width: int, fov_deg: float) -> np.ndarray:
    """(H, W, 3) ray directions with z = 1 (t = depth Z)."""
    f = pinhole_focal(width, fov_deg)
    u = (np.arange(width) + 0.5 - width / 2.0) / f
    v = (np.arange(height) + 0.5 - height / 2.0) / f
    rays = np.empty((height, width, 3), dtype=np.float64)
    rays[..., 0] = u[None, :]
    rays[..., 1] = v[:, None]
    rays[..., 2] = 1.0
    return rays


def pixels_per_radian(width: int, fov_deg: float) -> float:
    """The reference's `a = W / fov_rad`."""
    return width / math.radians(fov_deg)


def lonlat_grid(height: int, width: int, fov_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """(H, W) longitude and latitude (radians, lat positive downwards) of every pixel."""
    a = pixels_per_radian(width, fov_deg)
    lon = (np.arange(width) - width / 2.0) / a
    lat = (np.arange(height) - height / 2.0) / a
    return np.broadcast_to(lon[None, :], (height, width)), np.broadcast_to(lat[:, None], (height, width))


def lonlat_to_ray(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Unit rays (..., 3) for longitude / latitude arrays."""
    cl = np.cos(lat)
    return np.stack([cl * np.sin(lon), np.sin(lat), cl * np.cos(lon)], axis=-1)


def equirect_rays(height: int, width: int, fov_deg: float) -> np.ndarray:
    """(H, W, 3) unit rays of an equirectangular image spanning `fov_deg` horizontally (360 = panorama)."""
    lon, lat = lonlat_grid(height, width, fov_deg)
    return lonlat_to_ray(lon, lat)
