"""Gather-based 1-D (horizontal) bilinear interpolation, the core shared by every warp.

Only horizontal interpolation: each output pixel reads two neighbouring columns of one row. The
row is either the pixel's own row or an integer row chosen by the caller (equirectangular warps).
Gradients flow to the sample position through the interpolation weights only (floor has none),
exactly as upstream's `_interpolate`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from panoconv.errors import InputShapeError
from panoconv.guards import check_shape


def check_image_and_disparity(img: torch.Tensor, disp: torch.Tensor) -> torch.Tensor:
    """Validate (B, C, H, W) image and (B, 1, H, W) or (B, H, W) disparity; return disparity as (B, H, W)."""
    check_shape(img.shape, (None, None, None, None), "an image of shape (B, C, H, W)")
    if disp.dim() == 4:
        check_shape(disp.shape, (None, 1, None, None), "a one-channel disparity (B, 1, H, W)",
                    hint="pass disp[:, 0:1] (left) or disp[:, 1:2] (right)")
        disp = disp[:, 0]
    if disp.dim() != 3:
        raise InputShapeError("expected a disparity of shape (B, 1, H, W) or (B, H, W), "
                              f"got {tuple(disp.shape)}")
    b, _, h, w = img.shape
    if tuple(disp.shape) != (b, h, w):
        raise InputShapeError(f"disparity {tuple(disp.shape)} does not match image batch/size {(b, h, w)}")
    if not img.is_floating_point() or img.dtype != disp.dtype:
        raise TypeError(f"image and disparity must share a floating dtype, got {img.dtype} and {disp.dtype}")
    return disp


def pixel_grid(b: int, h: int, w: int, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Column and row coordinates x_t, y_t, each (B, H, W), values 0..W-1 and 0..H-1 (upstream's linspace)."""
    xs = torch.arange(w, dtype=like.dtype, device=like.device)
    ys = torch.arange(h, dtype=like.dtype, device=like.device)
    y_t, x_t = torch.meshgrid(ys, xs, indexing="ij")
    return x_t.expand(b, h, w), y_t.expand(b, h, w)


def gather_pixels(img: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
    """img (B, C, Hi, Wi), integer rows / cols (B, H, W) -> img[b, :, rows, cols] as (B, C, H, W)."""
    b, c, hi, wi = img.shape
    _, h, w = rows.shape
    index = (rows * wi + cols).reshape(b, 1, h * w).expand(b, c, h * w)
    return img.reshape(b, c, hi * wi).gather(2, index).reshape(b, c, h, w)


def gather_flat_batch(img: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
    """Upstream's GPU gather: flat index `b * Hi * Wi + row * Wi + col` over the whole batch, reads outside
    the tensor are 0.

    img (B, C, Hi, Wi), integer rows (any value) / cols in [0, Wi) (B, H, W) -> (B, C, H, W). A row past
    the last of image b reads image b + 1 (a row before the first, image b - 1), as `tf.gather` on a
    (B * Hi * Wi, C) tensor does on a GPU, which returns 0 for indices outside it (TF on CPU raises).
    """
    b, c, hi, wi = img.shape
    _, h, w = rows.shape
    base = (torch.arange(b, device=img.device) * (hi * wi)).view(b, 1, 1)
    index = (base + rows * wi + cols).reshape(1, b * h * w)
    inside = (index >= 0) & (index < b * hi * wi)
    flat = img.permute(1, 0, 2, 3).reshape(c, b * hi * wi)
    values = flat.gather(1, torch.where(inside, index, torch.zeros_like(index)).expand(c, -1))
    values = values * inside.to(img.dtype)
    return values.reshape(c, b, h, w).permute(1, 0, 2, 3)


def interpolate_border(img: torch.Tensor, x: torch.Tensor, padded_rows: torch.Tensor | None = None,
                       batch_gather: bool = False) -> torch.Tensor:
    """Upstream `_interpolate` with wrap mode 'border', horizontal only.

    img (B, C, H, W); x (B, H, W) sample columns in pixels of the unpadded image; `padded_rows`
    (B, H, W) integer row indices into the zero-padded image (0 and H+1 are the zero border), or
    None for each pixel's own row. The image is zero-padded by 1 px on every side, then
    x <- clip(x + 1, 0, W + 1), x0 = floor(x), x1 = min(x0 + 1, W + 1) (as an index only),
    out = (x0 + 1 - x) * img[x0] + (x - x0) * img[x1]. `batch_gather`: rows outside [0, H + 1] are read as
    upstream's GPU does (`gather_flat_batch`) instead of being an error.
    """
    b, _, h, w = img.shape
    padded = F.pad(img, (1, 1, 1, 1))
    x = torch.clamp(x + 1.0, 0.0, float(w + 1))
    x0_f = torch.floor(x)
    x1_f = x0_f + 1.0
    x0 = x0_f.long()
    x1 = torch.clamp(x1_f, max=float(w + 1)).long()
    if padded_rows is None:
        padded_rows = torch.arange(1, h + 1, device=img.device).view(1, h, 1).expand(b, h, w)
    gather = gather_flat_batch if batch_gather else gather_pixels
    pix_l = gather(padded, padded_rows, x0)
    pix_r = gather(padded, padded_rows, x1)
    weight_l = (x1_f - x).unsqueeze(1)
    weight_r = (x - x0_f).unsqueeze(1)
    return weight_l * pix_l + weight_r * pix_r


def interpolate_wrap(img: torch.Tensor, x: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """Horizontal bilinear interpolation that wraps around in columns (360-degree longitude).

    img (B, C, H, W); x (B, H, W) in pixels, any real value (taken modulo W); rows (B, H, W) integer
    rows in [0, H-1]. out = (x0 + 1 - x) * img[x0 mod W] + (x - x0) * img[(x0 + 1) mod W].
    """
    w = img.shape[-1]
    x0_f = torch.floor(x)
    x1_f = x0_f + 1.0
    x0 = torch.remainder(x0_f.long(), w)
    x1 = torch.remainder(x1_f.long(), w)
    weight_l = (x1_f - x).unsqueeze(1)
    weight_r = (x - x0_f).unsqueeze(1)
    return weight_l * gather_pixels(img, rows, x0) + weight_r * gather_pixels(img, rows, x1)
