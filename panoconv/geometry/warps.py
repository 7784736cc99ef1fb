"""Differentiable stereo warps: rectilinear, equirectangular (upstream) and full-360 panorama (new).

All samplers take an image (B, C, H, W) and a disparity (B, 1, H, W) or (B, H, W) in fractions of
the image width, work in float32 or float64, and return (B, C, H, W). Sign convention as upstream
monodepth: `warp(right, -dL)` is the left-image estimate, `warp(left, +dR)` the right-image one.
Interpolation is horizontal only; gradients reach the disparity through the interpolation weights
(and, for the spherical warps, through the longitude of the shifted ray).

Spherical geometry shared by the equirectangular and panorama warps (a = pixels per radian,
image centre (W/2, H/2), latitude positive downwards):

    lon = (x - W/2) / a,  lat = (y - H/2) / a
    unit ray n = (cos lat sin lon, sin lat, cos lat cos lon)
    the other camera sits one baseline along +x: n' = n + (d W / a, 0, 0)
    lon' = angle of n' about the vertical axis,  lat' = elevation of n'
    x' = a lon' + W/2,  y' = a lat' + H/2;  out(x, y) = img(x', row(y')).

`d W / a` is baseline / distance, so d W / a = baseline / r (`panoconv.inference.depth`).
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import nn

from panoconv.geometry._sampling import (
    check_image_and_disparity,
    interpolate_border,
    interpolate_wrap,
    pixel_grid,
)
from panoconv.geometry.constants import KITTI_FOV_DEG, WARP_MODES

WarpMode = Literal["rectilinear", "equirectangular", "panorama"]
#: equirectangular rows that leave the image: "clamp" (zero border, default) or "upstream-gpu"
EquirectRows = Literal["clamp", "upstream-gpu"]
EQUIRECT_ROWS: tuple[str, ...] = ("clamp", "upstream-gpu")


def sample_rectilinear(img: torch.Tensor, offset: torch.Tensor) -> torch.Tensor:
    """Upstream `bilinear_sampler_1d_h(img, offset)`, wrap mode 'border'.

    img (B, C, H, W); offset (B, 1, H, W) or (B, H, W), a fraction of the width. Samples each row at
    x = x_t + offset * W (x_t = 0..W-1) from the image padded with one pixel of zeros, x clipped to
    the padded range (see `interpolate_border`). Equals `grid_sample(align_corners=True,
    padding_mode='zeros')` on exact rows up to rounding.
    """
    offset = check_image_and_disparity(img, offset)
    b, _, h, w = img.shape
    x_t, _ = pixel_grid(b, h, w, img)
    return interpolate_border(img, x_t + offset * float(w))


def _shifted_ray_angles_equirect(offset: torch.Tensor, h: int, w: int, fov_deg: float
                                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """Source (x', y') of the upstream equirectangular warp, each (B, H, W), op by op as upstream."""
    b = offset.shape[0]
    x_t, y_t = pixel_grid(b, h, w, offset)
    a = float(w) / (fov_deg * math.pi / 180.0)
    lon = (x_t - w / 2.0) / a
    lat = (y_t - h / 2.0) / a
    sin_lat = torch.sin(lat)
    tan_lon = torch.tan(lon)
    nx = torch.sqrt((1.0 - sin_lat * sin_lat) / (1.0 + tan_lon * tan_lon)) * tan_lon  # cos lat sin lon
    ny = sin_lat
    nz = torch.sqrt(1.0 - nx * nx - ny * ny)
    nx_shift = nx + offset * float(w) / a
    norm = torch.sqrt(nx_shift * nx_shift + ny * ny + nz * nz)
    lon_src = torch.atan(nx_shift / nz)
    lat_src = torch.asin(ny / norm)
    return a * lon_src + w / 2.0, a * lat_src + h / 2.0


def sample_equirectangular(img: torch.Tensor, disp: torch.Tensor, fov_deg: float = KITTI_FOV_DEG,
                           rows: EquirectRows = "clamp") -> torch.Tensor:
    """Upstream (gdlg) `bilinear_sampler_equirectangular(img, disp, fov)`.

    img (B, C, H, W) spanning `fov_deg` horizontally (a = W / fov_rad pixels per radian, same in
    both directions); disp (B, 1, H, W) or (B, H, W). Ray as in the module docstring with upstream's
    formulas: nx = sqrt((1 - sin^2 lat) / (1 + tan^2 lon)) tan lon, ny = sin lat,
    nz = sqrt(1 - nx^2 - ny^2); lon' = atan(nx' / nz), lat' = asin(ny / |n'|). Then the 'border'
    interpolation of `sample_rectilinear` at column x' on padded row floor(y' + 1), the row clamped
    to [0, H + 1] so rows that leave the image read the zero border. Quirk kept: floor, not round, so
    tiny round-off in y' can pick the row above. Valid for |lon| < 90 deg (crops narrower than 180 deg).

    Rows that leave the image (|y'| beyond the border, reached by pixels near the top and bottom with a
    large disparity): upstream does not clip the row; its flat gather over the whole batch then reads
    the *neighbouring image of the batch* on a GPU (and 0 outside the batch), and raises on a CPU. So at
    batch >= 2 upstream's loss mixes images. `rows="clamp"` (default) reads the zero border instead;
    `rows="upstream-gpu"` reproduces upstream's GPU reads (`_sampling.gather_flat_batch`) to compare a
    run with an upstream-trained one. At batch 1 the two differ only where upstream reads 0 beyond
    the tensor and the clamp reads the border (also 0): they agree.
    """
    disp = check_image_and_disparity(img, disp)
    if not 0.0 < fov_deg < 180.0:
        raise ValueError(f"fov_deg must be in (0, 180) for the equirectangular warp, got {fov_deg}; "
                         "use mode='panorama' for full 360-degree images")
    if rows not in EQUIRECT_ROWS:
        raise ValueError(f"unknown rows mode {rows!r}; expected one of {', '.join(EQUIRECT_ROWS)}")
    _, _, h, w = img.shape
    x_src, y_src = _shifted_ray_angles_equirect(disp, h, w, fov_deg)
    padded_rows = torch.floor(y_src + 1.0)
    if rows == "upstream-gpu":
        return interpolate_border(img, x_src, padded_rows.long(), batch_gather=True)
    return interpolate_border(img, x_src, torch.clamp(padded_rows, 0.0, float(h + 1)).long())


def sample_panorama(img: torch.Tensor, disp: torch.Tensor) -> torch.Tensor:
    """Full-360 equirectangular warp that wraps around in longitude (no upstream counterpart).

    img (B, C, H, W) is a panorama (or a horizontal band of one) spanning 360 degrees in width,
    a = W / (2 pi) pixels per radian in both directions; disp (B, 1, H, W) or (B, H, W).
    Same geometry as `sample_equirectangular`, written to be valid everywhere on the sphere:
        n = (cos lat sin lon, sin lat, cos lat cos lon),  n' = n + (d W / a, 0, 0) = n + (2 pi d, 0, 0)
        lon' = atan2(n'_x, n'_z)           (full (-pi, pi], rays behind the camera included)
        lat' = atan2(n'_y, hypot(n'_x, n'_z))   (never leaves [-pi/2, pi/2], unlike asin(ny/|n'|))
        x' = a lon' + W/2 (taken modulo W),  y' = a lat' + H/2.
    Columns are interpolated linearly with wrap-around (column W-1 neighbours column 0); the row is
    the nearest one, floor(y' + 1/2), clamped to [0, H-1] (the top and bottom rows stand for the
    poles), so zero disparity is the identity up to rounding.
    """
    disp = check_image_and_disparity(img, disp)
    b, _, h, w = img.shape
    x_t, y_t = pixel_grid(b, h, w, img)
    a = float(w) / (2.0 * math.pi)
    lon = (x_t - w / 2.0) / a
    lat = (y_t - h / 2.0) / a
    nx = torch.cos(lat) * torch.sin(lon)
    ny = torch.sin(lat)
    nz = torch.cos(lat) * torch.cos(lon)
    nx_shift = nx + disp * (2.0 * math.pi)
    lon_src = torch.atan2(nx_shift, nz)
    lat_src = torch.atan2(ny, torch.sqrt(nx_shift * nx_shift + nz * nz))
    x_src = a * lon_src + w / 2.0
    y_src = a * lat_src + h / 2.0
    rows = torch.clamp(torch.floor(y_src + 0.5), 0.0, float(h - 1)).long()
    return interpolate_wrap(img, x_src, rows)


def warp(img: torch.Tensor, disp: torch.Tensor, mode: WarpMode = "rectilinear",
         fov_deg: float = KITTI_FOV_DEG, equirect_rows: EquirectRows = "clamp") -> torch.Tensor:
    """Dispatch to one sampler. `warp(right, -dL)` = left estimate, `warp(left, dR)` = right estimate.

    img (B, C, H, W), disp (B, 1, H, W) or (B, H, W) -> (B, C, H, W). `fov_deg` and `equirect_rows`
    (see `sample_equirectangular`) are used by 'equirectangular' only.
    """
    if mode == "rectilinear":
        return sample_rectilinear(img, disp)
    if mode == "equirectangular":
        return sample_equirectangular(img, disp, fov_deg, equirect_rows)
    if mode == "panorama":
        return sample_panorama(img, disp)
    raise ValueError(f"unknown warp mode {mode!r}; expected one of {', '.join(WARP_MODES)}")


class Warp(nn.Module):
    """Module form of `warp` with a fixed mode and field of view."""

    def __init__(self, mode: WarpMode = "rectilinear", fov_deg: float = KITTI_FOV_DEG) -> None:
        super().__init__()
        if mode not in WARP_MODES:
            raise ValueError(f"unknown warp mode {mode!r}; expected one of {', '.join(WARP_MODES)}")
        self.mode = mode
        self.fov_deg = fov_deg

    def forward(self, img: torch.Tensor, disp: torch.Tensor) -> torch.Tensor:
        return warp(img, disp, self.mode, self.fov_deg)

    def extra_repr(self) -> str:
        return f"mode={self.mode}, fov_deg={self.fov_deg}"
