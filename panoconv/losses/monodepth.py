"""monodepth's self-supervised stereo training loss (Godard et al. 2017), as the reference computes it.

For scales i = 0..3 (image pyramids by 2^i x 2^i average pooling, which is what `resize_area` does
for these exact halvings), with dL, dR = channels 0 / 1 of disp(i+1):

    left_est  = warp(right, -dL)          right_est = warp(left, +dR)
    image     = sum_i sum_side  alpha * mean(ssim_map(est, target)) + (1 - alpha) * mean|est - target|
    smoothness= sum_i (mean|dx(dL) * exp(-mean_c|dx(left)|)| + mean|dx(dR) * exp(-mean_c|dx(right)|)|) / 2^i
    lr_consistency = sum_i mean|warp(dR, -dL) - dL| + mean|warp(dL, +dR) - dR|
    total     = image + smoothness_weight * smoothness + lr_weight * lr_consistency

dx(t) = t[..., :-1] - t[..., 1:]. Upstream quirk reproduced by default: its smoothness helper
returns x-terms then y-terms but the loss reads only the first four items, so only x-gradients
count. `y_smoothness=True` adds the y-terms (dy along H) with the same weighting (the known,
unmerged upstream fix); it breaks parity with the reference by design.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from panoconv.errors import InputShapeError, NonFiniteError
from panoconv.geometry.warps import EQUIRECT_ROWS, KITTI_FOV_DEG, WARP_MODES, WarpMode, warp
from panoconv.guards import check_same_shape, check_shape
from panoconv.losses._finite import all_finite
from panoconv.losses._types import LossOutput
from panoconv.losses.ssim import ssim_map


@dataclass(frozen=True)
class MonodepthLossConfig:
    """Weights and warp of the monodepth loss; defaults are upstream's."""

    alpha: float = 0.85          # SSIM weight in the image term
    smoothness: float = 0.1      # disp_gradient_loss_weight
    lr: float = 1.0              # lr_loss_weight
    warp: WarpMode = "rectilinear"
    fov_deg: float = KITTI_FOV_DEG
    y_smoothness: bool = False   # upstream uses x-terms only
    num_scales: int = 4
    #: equirectangular rows leaving the image: "clamp" (zero border) or "upstream-gpu" (upstream's batch-wide
    #: gather, which at batch >= 2 reads the neighbouring image; `geometry.warps.sample_equirectangular`)
    equirect_rows: str = "clamp"

    def __post_init__(self) -> None:
        if self.warp not in WARP_MODES:
            raise ValueError(f"unknown warp {self.warp!r}; expected one of {', '.join(WARP_MODES)}")
        if not 0.0 <= self.alpha <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {self.alpha}")
        if self.num_scales < 1:
            raise ValueError(f"num_scales must be >= 1, got {self.num_scales}")
        if self.equirect_rows not in EQUIRECT_ROWS:
            raise ValueError(f"unknown equirect_rows {self.equirect_rows!r}; expected one of "
                             f"{', '.join(EQUIRECT_ROWS)}")


def scale_pyramid(img: torch.Tensor, num_scales: int) -> list[torch.Tensor]:
    """(B, C, H, W) -> [img, avgpool2(img), avgpool4(img), ...]; each level pooled from the original."""
    return [img] + [F.avg_pool2d(img, 2 ** i) for i in range(1, num_scales)]


def gradient_x(t: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> (B, C, H, W-1): t[..., :-1] - t[..., 1:]."""
    return t[..., :-1] - t[..., 1:]


def gradient_y(t: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> (B, C, H-1, W): t[..., :-1, :] - t[..., 1:, :]."""
    return t[..., :-1, :] - t[..., 1:, :]


def edge_aware_smoothness(disp: torch.Tensor, img: torch.Tensor, axis: str = "x") -> torch.Tensor:
    """grad(disp) * exp(-mean over channels |grad(img)|); disp (B, 1, h, w), img (B, C, h, w)."""
    grad = gradient_x if axis == "x" else gradient_y
    weights = torch.exp(-torch.mean(torch.abs(grad(img)), 1, keepdim=True))
    return grad(disp) * weights


def _check_inputs(disps: list[torch.Tensor], left: torch.Tensor, right: torch.Tensor,
                  config: MonodepthLossConfig) -> None:
    check_same_shape(left.shape, right.shape, "left and right images (B, C, H, W)")
    if len(disps) < config.num_scales:
        raise InputShapeError(f"need {config.num_scales} disparity scales, got {len(disps)}")
    b, _, h, w = left.shape
    f = 2 ** (config.num_scales - 1)
    if h % f or w % f:
        raise InputShapeError(f"image size {h}x{w} must be divisible by {f} for {config.num_scales} scales")
    for i, d in enumerate(disps[:config.num_scales]):
        expected = (b, 2, h // 2 ** i, w // 2 ** i)
        check_shape(d.shape, expected, f"shape {expected} (channel 0 left, channel 1 right disparity)",
                    where=f"disp{i + 1}")
    _check_finite([("left image", left), ("right image", right)]
                  + [(f"disp{i + 1}", d) for i, d in enumerate(disps[:config.num_scales])])


def _check_finite(named: list[tuple[str, torch.Tensor]]) -> None:
    """NonFiniteError before the warp: a NaN sample position would become an out-of-range gather index."""
    flags = all_finite([t for _, t in named])
    bad = [name for (name, _), ok in zip(named, flags) if not ok]
    if bad:
        raise NonFiniteError(f"non-finite values in {', '.join(bad)} before the warp")


def image_term(est: torch.Tensor, target: torch.Tensor, alpha: float) -> torch.Tensor:
    """One view's appearance term at one scale: alpha mean SSIM dissimilarity + (1 - alpha) mean L1."""
    ssim = torch.mean(ssim_map(est, target))
    l1 = torch.mean(torch.abs(est - target))
    return alpha * ssim + (1 - alpha) * l1


def monodepth_loss(disps: list[torch.Tensor], left: torch.Tensor, right: torch.Tensor,
                   config: MonodepthLossConfig = MonodepthLossConfig()) -> LossOutput:
    """disps [disp1 (B,2,H,W), disp2 (H/2), disp3, disp4], left / right (B, C, H, W) -> LossOutput.

    Terms: `image`, `smoothness`, `lr_consistency` (unweighted sums; upstream's image_loss,
    disp_gradient_loss, lr_loss, renamed so the left-right term is never read as a learning rate) and per
    scale `image/i`, `smoothness/i`, `lr_consistency/i` (both sides summed, smoothness already divided
    by 2^i). total = image + smoothness_w * smoothness + lr_w * lr_consistency. Raises NonFiniteError
    before warping if an image or disparity holds NaN/inf.
    """
    _check_inputs(disps, left, right, config)
    n = config.num_scales
    left_pyr = scale_pyramid(left, n)
    right_pyr = scale_pyramid(right, n)
    d_left = [d[:, 0:1] for d in disps[:n]]
    d_right = [d[:, 1:2] for d in disps[:n]]

    def w(img: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
        return warp(img, d, config.warp, config.fov_deg, config.equirect_rows)  # type: ignore[arg-type]

    image_l, image_r, smooth_l, smooth_r, lr_l, lr_r = [], [], [], [], [], []
    for i in range(n):
        image_l.append(image_term(w(right_pyr[i], -d_left[i]), left_pyr[i], config.alpha))
        image_r.append(image_term(w(left_pyr[i], d_right[i]), right_pyr[i], config.alpha))
        sl = torch.mean(torch.abs(edge_aware_smoothness(d_left[i], left_pyr[i], "x"))) / 2 ** i
        sr = torch.mean(torch.abs(edge_aware_smoothness(d_right[i], right_pyr[i], "x"))) / 2 ** i
        if config.y_smoothness:
            sl = sl + torch.mean(torch.abs(edge_aware_smoothness(d_left[i], left_pyr[i], "y"))) / 2 ** i
            sr = sr + torch.mean(torch.abs(edge_aware_smoothness(d_right[i], right_pyr[i], "y"))) / 2 ** i
        smooth_l.append(sl)
        smooth_r.append(sr)
        lr_l.append(torch.mean(torch.abs(w(d_right[i], -d_left[i]) - d_left[i])))
        lr_r.append(torch.mean(torch.abs(w(d_left[i], d_right[i]) - d_right[i])))

    # Summation order as upstream's add_n(left terms + right terms).
    image = _add_n(image_l + image_r)
    smoothness = _add_n(smooth_l + smooth_r)
    lr = _add_n(lr_l + lr_r)
    total = image + config.smoothness * smoothness + config.lr * lr
    terms = {"image": image, "smoothness": smoothness, "lr_consistency": lr}
    for i in range(n):
        terms[f"image/{i}"] = image_l[i] + image_r[i]
        terms[f"smoothness/{i}"] = smooth_l[i] + smooth_r[i]
        terms[f"lr_consistency/{i}"] = lr_l[i] + lr_r[i]
    return LossOutput(total=total, terms=terms)


def _add_n(values: list[torch.Tensor]) -> torch.Tensor:
    out = values[0]
    for v in values[1:]:
        out = out + v
    return out


class MonodepthLoss(nn.Module):
    """Module form of `monodepth_loss` with a fixed config."""

    def __init__(self, config: MonodepthLossConfig = MonodepthLossConfig()) -> None:
        super().__init__()
        self.config = config

    def forward(self, disps: list[torch.Tensor], left: torch.Tensor, right: torch.Tensor) -> LossOutput:
        return monodepth_loss(disps, left, right, self.config)

    def extra_repr(self) -> str:
        return repr(self.config)
