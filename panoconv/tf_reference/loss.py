"""monodepth's training loss written with TensorFlow ops, NHWC, in upstream's structure (parity ground truth).

Pyramids come from `tf.image.resize_area` as upstream; that op always returns float32, so in
float64 the pyramid is built with `tf.nn.avg_pool` (2^i x 2^i, VALID), which is the same operation
for these exact halvings (checked against resize_area in float32 by the tests). SSIM uses
`tf.nn.avg_pool` 3x3 VALID; the smoothness helper returns x-terms then y-terms and the loss reads
items 0..3 only (upstream quirk; `y_smoothness=True` adds items 4..7).
"""

from __future__ import annotations

from typing import Any

from panoconv.geometry.constants import KITTI_FOV_DEG
from panoconv.tf_reference._tf import import_tf
from panoconv.tf_reference.warps import warp

tf = import_tf()


def scale_pyramid(img: Any, num_scales: int, avgpool: bool = False) -> list[Any]:
    """(B, H, W, C) -> [img, area-resized to H/2 x W/2, H/4, ...], each from the original image.

    float32 uses upstream's `resize_area` unless `avgpool`: same values, but resize_area rounds
    differently from `avg_pool` (and from PyTorch's `avg_pool2d`) on ~1/5 of the float32 elements.
    """
    scaled = [img]
    h, w = img.shape[1], img.shape[2]
    for i in range(num_scales - 1):
        ratio = 2 ** (i + 1)
        if img.dtype == tf.float32 and not avgpool:
            scaled.append(tf.compat.v1.image.resize_area(img, [h // ratio, w // ratio]))
        else:
            scaled.append(tf.nn.avg_pool2d(img, ratio, ratio, "VALID"))
    return scaled


def gradient_x(img: Any) -> Any:
    return img[:, :, :-1, :] - img[:, :, 1:, :]


def gradient_y(img: Any) -> Any:
    return img[:, :-1, :, :] - img[:, 1:, :, :]


def ssim(x: Any, y: Any, exact_square: bool = False) -> Any:
    """clip((1 - SSIM) / 2, 0, 1) with 3x3 VALID average pooling, (B, H-2, W-2, C).

    Squares are `t ** 2` as upstream (TF's float32 pow is not correctly rounded: it differs from
    `t * t` by an ulp on ~1/4 of the elements, which the variance's cancellation amplifies), or
    `tf.square` with `exact_square=True` (correctly rounded, equal to PyTorch's `t * t`).
    """
    c1 = 0.01 ** 2
    c2 = 0.03 ** 2
    sq = tf.square if exact_square else (lambda t: t ** 2)
    mu_x = tf.nn.avg_pool2d(x, 3, 1, "VALID")
    mu_y = tf.nn.avg_pool2d(y, 3, 1, "VALID")
    sigma_x = tf.nn.avg_pool2d(sq(x), 3, 1, "VALID") - sq(mu_x)
    sigma_y = tf.nn.avg_pool2d(sq(y), 3, 1, "VALID") - sq(mu_y)
    sigma_xy = tf.nn.avg_pool2d(x * y, 3, 1, "VALID") - mu_x * mu_y
    ssim_n = (2 * mu_x * mu_y + c1) * (2 * sigma_xy + c2)
    ssim_d = (sq(mu_x) + sq(mu_y) + c1) * (sigma_x + sigma_y + c2)
    return tf.clip_by_value((1 - ssim_n / ssim_d) / 2, 0, 1)


def disparity_smoothness(disp: list[Any], pyramid: list[Any]) -> list[Any]:
    """Upstream helper: returns [x-terms of every scale] + [y-terms of every scale]."""
    n = len(disp)
    disp_gx = [gradient_x(d) for d in disp]
    disp_gy = [gradient_y(d) for d in disp]
    img_gx = [gradient_x(img) for img in pyramid]
    img_gy = [gradient_y(img) for img in pyramid]
    weights_x = [tf.exp(-tf.reduce_mean(tf.abs(g), 3, keepdims=True)) for g in img_gx]
    weights_y = [tf.exp(-tf.reduce_mean(tf.abs(g), 3, keepdims=True)) for g in img_gy]
    smoothness_x = [disp_gx[i] * weights_x[i] for i in range(n)]
    smoothness_y = [disp_gy[i] * weights_y[i] for i in range(n)]
    return smoothness_x + smoothness_y


def monodepth_loss(disps: list[Any], left: Any, right: Any, alpha: float = 0.85,
                   smoothness_weight: float = 0.1, lr_weight: float = 1.0, mode: str = "rectilinear",
                   fov: float = KITTI_FOV_DEG, y_smoothness: bool = False, num_scales: int = 4,
                   exact_square: bool = False, avgpool_pyramid: bool = False) -> dict[str, Any]:
    """disps [(B, H, W, 2), (B, H/2, W/2, 2), ...], left / right (B, H, W, C) -> dict of scalar tensors.

    Keys as `panoconv.losses.monodepth.monodepth_loss`: total, image, smoothness, lr_consistency, and per
    scale image/i, smoothness/i, lr_consistency/i. `exact_square` (see `ssim`) and `avgpool_pyramid` (see
    `scale_pyramid`) change float32 rounding only (False = upstream's ops); with both, pyramids
    and SSIM maps round exactly as in PyTorch's `panoconv.losses.monodepth` (staged loss parity).
    """
    n = num_scales
    left_pyramid = scale_pyramid(left, n, avgpool_pyramid)
    right_pyramid = scale_pyramid(right, n, avgpool_pyramid)
    disp_left_est = [d[:, :, :, 0:1] for d in disps[:n]]
    disp_right_est = [d[:, :, :, 1:2] for d in disps[:n]]

    def generate_image_left(img: Any, disp: Any) -> Any:
        return warp(img, -disp, mode, fov)

    def generate_image_right(img: Any, disp: Any) -> Any:
        return warp(img, disp, mode, fov)

    left_est = [generate_image_left(right_pyramid[i], disp_left_est[i]) for i in range(n)]
    right_est = [generate_image_right(left_pyramid[i], disp_right_est[i]) for i in range(n)]
    right_to_left_disp = [generate_image_left(disp_right_est[i], disp_left_est[i]) for i in range(n)]
    left_to_right_disp = [generate_image_right(disp_left_est[i], disp_right_est[i]) for i in range(n)]
    disp_left_smoothness = disparity_smoothness(disp_left_est, left_pyramid)
    disp_right_smoothness = disparity_smoothness(disp_right_est, right_pyramid)

    l1_left = [tf.reduce_mean(tf.abs(left_est[i] - left_pyramid[i])) for i in range(n)]
    l1_right = [tf.reduce_mean(tf.abs(right_est[i] - right_pyramid[i])) for i in range(n)]
    ssim_left = [tf.reduce_mean(ssim(left_est[i], left_pyramid[i], exact_square)) for i in range(n)]
    ssim_right = [tf.reduce_mean(ssim(right_est[i], right_pyramid[i], exact_square)) for i in range(n)]
    image_loss_left = [alpha * ssim_left[i] + (1 - alpha) * l1_left[i] for i in range(n)]
    image_loss_right = [alpha * ssim_right[i] + (1 - alpha) * l1_right[i] for i in range(n)]
    image_loss = tf.add_n(image_loss_left + image_loss_right)

    disp_left_loss = [tf.reduce_mean(tf.abs(disp_left_smoothness[i])) / 2 ** i for i in range(n)]
    disp_right_loss = [tf.reduce_mean(tf.abs(disp_right_smoothness[i])) / 2 ** i for i in range(n)]
    if y_smoothness:
        disp_left_loss = [disp_left_loss[i] + tf.reduce_mean(tf.abs(disp_left_smoothness[n + i])) / 2 ** i
                          for i in range(n)]
        disp_right_loss = [disp_right_loss[i] + tf.reduce_mean(tf.abs(disp_right_smoothness[n + i])) / 2 ** i
                           for i in range(n)]
    disp_gradient_loss = tf.add_n(disp_left_loss + disp_right_loss)

    lr_left_loss = [tf.reduce_mean(tf.abs(right_to_left_disp[i] - disp_left_est[i])) for i in range(n)]
    lr_right_loss = [tf.reduce_mean(tf.abs(left_to_right_disp[i] - disp_right_est[i])) for i in range(n)]
    lr_loss = tf.add_n(lr_left_loss + lr_right_loss)

    total = image_loss + smoothness_weight * disp_gradient_loss + lr_weight * lr_loss
    out = {"total": total, "image": image_loss, "smoothness": disp_gradient_loss, "lr_consistency": lr_loss}
    for i in range(n):
        out[f"image/{i}"] = image_loss_left[i] + image_loss_right[i]
        out[f"smoothness/{i}"] = disp_left_loss[i] + disp_right_loss[i]
        out[f"lr_consistency/{i}"] = lr_left_loss[i] + lr_right_loss[i]
    return out
