"""OmniDepth's multi-scale supervised depth loss (Zioulis et al. 2018), with the intended masking.

    L = sum_s alpha_s * L2_s + beta_s * G_s

over the network's scales s = 1x, 2x, 4x (full, half, quarter resolution). At scale s the ground truth
and the valid mask are downsampled by nearest neighbour (`t[..., ::f, ::f]`, what
`F.interpolate(scale_factor=1/f, mode="nearest")` picks, as upstream).

Default (`variant="masked"`):
- `L2_s = sum(mask * (pred - gt)^2) / sum(mask)`: the masked mean of the squared error.
- `G_s = sum(mask * (|dx pred| + |dy pred|)) / sum(mask)`: the masked mean L1 of the prediction's
  central-difference gradients (filters [-0.5, 0, 0.5]); columns wrap around (longitude is periodic),
  rows are edge-replicated at the poles.
- A scale with no valid pixel contributes 0 (the denominators are clamped to 1).

How the default departs from OmniDepth-PyTorch (`criteria.py` + `dataset.py` + its trainer), and why:
1. L2 term. Upstream computes `mask * MSELoss(pred, gt) / count(mask)`; `MSELoss` already reduces to
   one scalar over *all* pixels, so the mask only rescales it: the term is the unmasked MSE. Its data
   set multiplies the ground truth by the mask first, so every invalid pixel (holes at 0 m, depths
   beyond 8 m) is trained towards 0 m. Here only valid pixels count: the network is not taught to
   predict 0 m where nothing was measured. Both agree when every pixel is valid.
2. Gradient filters at the border. Upstream convolves with zero padding, so the first and last columns
   and rows see a neighbour of 0 m and get a gradient of |x| / 2 (a pull towards 0 m at the panorama
   seam and the poles). Here columns wrap (the seam is interior on a 360-degree image) and rows are
   edge-replicated (no information beyond the pole). Interior pixels agree exactly.
3. Empty scale. Upstream divides by the number of valid pixels, so a batch without any valid pixel
   gives 0 / 0 = NaN; here that scale contributes 0.

`variant="omnidepth-pytorch"` reproduces upstream exactly, all three differences included (its
result equals upstream's `MultiScaleL2Loss` fed `gt * mask`, bit for bit; `tests/losses` checks it
against a transcription): use it to compare a run with an upstream-trained one, not to train.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from panoconv.arch import UnsupportedOptionError
from panoconv.errors import InputShapeError
from panoconv.guards import check_same_shape, check_shape
from panoconv.losses._types import LossOutput

SCALE_NAMES = ("1x", "2x", "4x")
#: "masked": the default (masked L2, wrapped / replicated gradients); "omnidepth-pytorch": upstream exactly
VARIANTS = ("masked", "omnidepth-pytorch")


@dataclass(frozen=True)
class ScaleWeights:
    """Per-scale weights, finest first: `alpha` for the L2 term, `beta` for the gradient term."""

    alpha: tuple[float, ...]
    beta: tuple[float, ...]


def published_weights(arch: str) -> ScaleWeights:
    """The published per-scale weights of an architecture, from its card's `loss_weights`."""
    from panoconv.arch import get_card

    card = get_card(arch)
    if card.loss_weights is None:
        raise UnsupportedOptionError(f"{card.name} has no published multi-scale depth loss weights")
    return ScaleWeights(alpha=tuple(card.loss_weights["alpha"]), beta=tuple(card.loss_weights["beta"]))


def downsample_nearest(t: torch.Tensor, factor: int) -> torch.Tensor:
    """(B, C, H, W) -> (B, C, ceil(H/f), ceil(W/f)) by nearest neighbour (top-left sample of each block)."""
    return t if factor == 1 else t[..., ::factor, ::factor]


def masked_l2(pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of (pred - gt)^2 over the pixels where `mask` is true; all (B, 1, H, W). NaN-safe in gt."""
    zero = torch.zeros_like(pred)
    gt = torch.where(mask, gt, zero)  # NaN/inf outside the mask would otherwise poison the gradient
    sq = torch.where(mask, (pred - gt) ** 2, zero)
    return sq.sum() / mask.sum().clamp(min=1)


def upstream_l2(pred: torch.Tensor, gt_masked: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """OmniDepth-PyTorch's `L2Loss`: `(mask * MSELoss(pred, gt)).sum() / (mask > 0).sum()` == unmasked MSE.

    `gt_masked` is the ground truth already multiplied by the mask (upstream's data set does that), so
    invalid pixels are trained towards 0. No valid pixel: 0 / 0 = NaN, as upstream.
    """
    mse = F.mse_loss(pred, gt_masked)  # already a scalar over every pixel, invalid ones included
    m = mask.to(pred.dtype)
    return (m * mse).sum() / (m > 0).sum().to(pred.dtype)


def _gradient_filters(like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Upstream's (1, 1, 3, 3) central-difference filters for dx and dy."""
    kw = {"dtype": like.dtype, "device": like.device}
    dx = torch.tensor([[0.0, 0.0, 0.0], [-0.5, 0.0, 0.5], [0.0, 0.0, 0.0]], **kw)
    dy = torch.tensor([[0.0, -0.5, 0.0], [0.0, 0.0, 0.0], [0.0, 0.5, 0.0]], **kw)
    return dx.view(1, 1, 3, 3), dy.view(1, 1, 3, 3)


def upstream_gradient_l1(pred: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """OmniDepth-PyTorch's gradient term: zero-padded 3x3 central differences, masked, / count(mask > 0).

    pred (B, 1, H, W); `F.conv2d(padding=1)` as upstream, so the border pixels see a 0 neighbour.
    """
    fx, fy = _gradient_filters(pred)
    dx = F.conv2d(pred, fx, padding=1, groups=pred.shape[1])
    dy = F.conv2d(pred, fy, padding=1, groups=pred.shape[1])
    m = mask.to(pred.dtype)
    error = m * (dx.abs().sum(1, keepdim=True) + dy.abs().sum(1, keepdim=True))
    return error.sum() / (m > 0).sum().to(pred.dtype)


def central_gradients(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, C, H, W) -> (dx, dy), each (B, C, H, W): 0.5 * (x[j+1] - x[j-1]) along W (wrapped) and H
    (replicated)."""
    dx = 0.5 * (torch.roll(x, -1, dims=-1) - torch.roll(x, 1, dims=-1))
    padded = torch.cat([x[..., :1, :], x, x[..., -1:, :]], dim=-2)
    dy = 0.5 * (padded[..., 2:, :] - padded[..., :-2, :])
    return dx, dy


def masked_gradient_l1(pred: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of |dx pred| + |dy pred| over the valid pixels; (B, 1, H, W) inputs, scalar output."""
    dx, dy = central_gradients(pred)
    g = torch.where(mask, dx.abs() + dy.abs(), torch.zeros_like(pred))
    return g.sum() / mask.sum().clamp(min=1)


def _check(preds: Sequence[torch.Tensor], gt: torch.Tensor, mask: torch.Tensor,
           weights: ScaleWeights) -> None:
    if len(preds) != len(weights.alpha) or len(preds) != len(weights.beta):
        raise InputShapeError(f"{len(preds)} predictions but {len(weights.alpha)} alpha / "
                              f"{len(weights.beta)} beta weights; use the weights of the architecture")
    check_shape(gt.shape, (None, 1, None, None), "gt (B, 1, H, W)")
    check_same_shape(gt.shape, mask.shape, "gt and mask (B, 1, H, W)")
    for s, pred in enumerate(preds):
        f = 2**s
        want = (gt.shape[0], 1, -(-gt.shape[2] // f), -(-gt.shape[3] // f))
        check_shape(pred.shape, want, f"shape {want}", where=f"prediction {s} ({SCALE_NAMES[s]})")


def _check_variant(variant: str) -> None:
    if variant not in VARIANTS:
        raise ValueError(f"unknown supervised loss variant {variant!r}; expected one of "
                         f"{', '.join(VARIANTS)}")


def multiscale_depth_loss(preds: Sequence[torch.Tensor], gt: torch.Tensor, mask: torch.Tensor,
                          weights: ScaleWeights, variant: str = "masked") -> LossOutput:
    """OmniDepth's loss over `preds = [pred_1x, pred_2x, (pred_4x)]` against (B,1,H,W) `gt` and bool `mask`.

    Terms (unweighted, per scale): `l2_1x`, `grad_1x`, `l2_2x`, ...; `total` is the weighted sum, added in
    upstream's order. `variant="omnidepth-pytorch"` is upstream's loss exactly (module docstring).
    """
    _check_variant(variant)
    _check(preds, gt, mask, weights)
    mask = mask.bool()
    upstream = variant == "omnidepth-pytorch"
    if upstream:
        gt = gt * mask.to(gt.dtype)  # what upstream's data set hands its loss
    terms: dict[str, torch.Tensor] = {}
    total = preds[0].new_zeros(())
    for s, pred in enumerate(preds):
        gt_s, mask_s = downsample_nearest(gt, 2**s), downsample_nearest(mask, 2**s)
        if upstream:
            l2, grad = upstream_l2(pred, gt_s, mask_s), upstream_gradient_l1(pred, mask_s)
        else:
            l2, grad = masked_l2(pred, gt_s, mask_s), masked_gradient_l1(pred, mask_s)
        terms[f"l2_{SCALE_NAMES[s]}"] = l2
        terms[f"grad_{SCALE_NAMES[s]}"] = grad
        total = total + weights.alpha[s] * l2 + weights.beta[s] * grad
    return LossOutput(total, terms)


class MultiScaleDepthLoss(nn.Module):
    """Module form of `multiscale_depth_loss`; `MultiScaleDepthLoss.for_arch("rectnet")` uses the published
    weights."""

    def __init__(self, weights: ScaleWeights, variant: str = "masked") -> None:
        super().__init__()
        _check_variant(variant)
        self.weights = weights
        self.variant = variant

    @classmethod
    def for_arch(cls, arch: str, variant: str = "masked") -> MultiScaleDepthLoss:
        """The loss with the published weights of `arch` (its card's `loss_weights`)."""
        return cls(published_weights(arch), variant)

    def forward(self, preds: Sequence[torch.Tensor], gt: torch.Tensor, mask: torch.Tensor) -> LossOutput:
        return multiscale_depth_loss(preds, gt, mask, self.weights, self.variant)

    def extra_repr(self) -> str:
        return f"alpha={self.weights.alpha}, beta={self.weights.beta}, variant={self.variant}"
