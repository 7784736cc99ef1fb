"""The stereo warps written with TensorFlow ops, NHWC, as upstream computes them (ground truth for parity).

Upstream's sampler flattens the zero-padded image to (B * (H+2) * (W+2), C), computes flat indices
`batch_base + row * (W+2) + col` for the two horizontal neighbours and `tf.gather`s them. This
module does the same, in the dtype of its input (float32 or float64) instead of upstream's fixed
float32. Offsets / disparities are (B, H, W, 1) fractions of the width.
"""

from __future__ import annotations

import math
from typing import Any

from panoconv.geometry.constants import KITTI_FOV_DEG
from panoconv.tf_reference._tf import import_tf

tf = import_tf()


def _meshgrid(height: int, width: int, dtype: Any) -> tuple[Any, Any]:
    """x_t, y_t of shape (H, W): upstream's meshgrid of linspace(0, W-1, W) and linspace(0, H-1, H)."""
    x_t, y_t = tf.meshgrid(tf.linspace(tf.constant(0.0, dtype), width - 1.0, width),
                           tf.linspace(tf.constant(0.0, dtype), height - 1.0, height))
    return x_t, y_t


def _interpolate_border(im: Any, x: Any, y: Any) -> Any:
    """Upstream `_interpolate`, wrap mode 'border'. im (B, H, W, C); x, y flat (B*H*W,) in unpadded pixels.

    Pads one zero pixel on every side, shifts x and y by +1, clips x to [0, W+1], x0 = floor(x),
    x1 = min(x0 + 1, W + 1); row = floor(y) clipped to [0, H+1] (upstream leaves it unclipped);
    returns (x0 + 1 - x) * im[row, x0] + (x - x0) * im[row, x1] as (B*H*W, C).
    """
    shape = tf.shape(im)
    batch, height, width, channels = shape[0], shape[1], shape[2], shape[3]
    dtype = im.dtype
    im = tf.pad(im, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="CONSTANT")
    x = x + 1.0
    y = y + 1.0
    width_f = tf.cast(width, dtype)
    height_f = tf.cast(height, dtype)
    x = tf.clip_by_value(x, 0.0, width_f + 1.0)
    x0_f = tf.floor(x)
    y0_f = tf.clip_by_value(tf.floor(y), 0.0, height_f + 1.0)
    x1_f = x0_f + 1.0
    x0 = tf.cast(x0_f, tf.int32)
    y0 = tf.cast(y0_f, tf.int32)
    x1 = tf.cast(tf.minimum(x1_f, width_f + 1.0), tf.int32)

    dim2 = width + 2
    dim1 = (width + 2) * (height + 2)
    base = tf.repeat(tf.range(batch) * dim1, height * width)
    base_y0 = base + y0 * dim2
    idx_l = base_y0 + x0
    idx_r = base_y0 + x1
    im_flat = tf.reshape(im, [-1, channels])
    pix_l = tf.gather(im_flat, idx_l)
    pix_r = tf.gather(im_flat, idx_r)
    weight_l = tf.expand_dims(x1_f - x, 1)
    weight_r = tf.expand_dims(x - x0_f, 1)
    return weight_l * pix_l + weight_r * pix_r


def bilinear_sampler_1d_h(input_images: Any, x_offset: Any) -> Any:
    """Upstream rectilinear sampler: (B, H, W, C) images, (B, H, W, 1) offsets -> (B, H, W, C)."""
    shape = tf.shape(input_images)
    batch, height, width, channels = shape[0], shape[1], shape[2], shape[3]
    dtype = input_images.dtype
    x_t, y_t = _meshgrid(input_images.shape[1], input_images.shape[2], dtype)
    x_t_flat = tf.reshape(tf.tile(x_t[None], [batch, 1, 1]), [-1])
    y_t_flat = tf.reshape(tf.tile(y_t[None], [batch, 1, 1]), [-1])
    x_t_flat = x_t_flat + tf.reshape(x_offset, [-1]) * tf.cast(width, dtype)
    out = _interpolate_border(input_images, x_t_flat, y_t_flat)
    return tf.reshape(out, tf.stack([batch, height, width, channels]))


def bilinear_sampler_equirectangular(input_images: Any, x_offset: Any, fov: float = KITTI_FOV_DEG) -> Any:
    """gdlg's equirectangular sampler: (B, H, W, C), (B, H, W, 1), fov in degrees -> (B, H, W, C).

    a = W / fov_rad; lon = (x - W/2) / a, lat = (y - H/2) / a; nx = sqrt((1 - sin^2 lat) /
    (1 + tan^2 lon)) tan lon, ny = sin lat, nz = sqrt(1 - nx^2 - ny^2); nx += d W / a;
    x' = a atan(nx / nz) + W/2, y' = a asin(ny / |n|) + H/2; then the border interpolation.
    """
    shape = tf.shape(input_images)
    batch, channels = shape[0], shape[3]
    height, width = input_images.shape[1], input_images.shape[2]
    dtype = input_images.dtype
    x_t, y_t = _meshgrid(height, width, dtype)
    x_t = tf.tile(x_t[None], [batch, 1, 1])
    y_t = tf.tile(y_t[None], [batch, 1, 1])
    a = width / (fov * math.pi / 180.0)
    lon = (x_t - width / 2.0) / a
    lat = (y_t - height / 2.0) / a
    sin_lat = tf.sin(lat)
    tan_lon = tf.tan(lon)
    nx = tf.sqrt((1.0 - tf.square(sin_lat)) / (1.0 + tf.square(tan_lon))) * tan_lon
    ny = sin_lat
    nz = tf.sqrt(1.0 - tf.square(nx) - tf.square(ny))
    nx = nx + x_offset[..., 0] * width / a
    norm = tf.sqrt(tf.square(nx) + tf.square(ny) + tf.square(nz))
    x_src = a * tf.atan(nx / nz) + width / 2.0
    y_src = a * tf.asin(ny / norm) + height / 2.0
    out = _interpolate_border(input_images, tf.reshape(x_src, [-1]), tf.reshape(y_src, [-1]))
    return tf.reshape(out, tf.stack([batch, height, width, channels]))


def warp(images: Any, disp: Any, mode: str = "rectilinear", fov: float = KITTI_FOV_DEG) -> Any:
    """Dispatch as `panoconv.geometry.warps.warp` (NHWC): 'rectilinear' or 'equirectangular'."""
    if mode == "rectilinear":
        return bilinear_sampler_1d_h(images, disp)
    if mode == "equirectangular":
        return bilinear_sampler_equirectangular(images, disp, fov)
    raise ValueError(f"the TF reference has no {mode!r} warp (only 'rectilinear', 'equirectangular')")
