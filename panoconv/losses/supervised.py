"""OmniDepth's multi-scale supervised depth loss (Zioulis et al. 2018), with the intended masking.

    L = sum_s alpha_s * L2_s + beta_s * G_s

over the network's scales s = 1x, 2x, 4x (full, half, quarter resolution). At scale s the ground truth
and the valid mask are downsampled by nearest neighbour (`t[..., ::f, ::f]`, what
`F.interpolate(scale_factor=1/f, mode="nearest")` picks).

- `L2_s = sum(mask * (pred - gt)^2) / sum(mask)`: the masked mean of the squared error.
- `G_s = sum(mask * (|dx pred| + |dy pred|)) / sum(mask)`: the masked mean L1 of the prediction's
  central-difference gradients (filters [-0.5, 0, 0.5]); columns wrap around (longitude is periodic),
  rows are edge-replicated at the poles.
A scale with no valid pixel contributes 0 (the denominators are clamped to 1).

Upstream difference (deliberate). The published code computes the L2 term as
`mask * MSELoss(pred, gt)`: MSELoss already reduces to a scalar over *all* pixels, so the mask only
rescales it and invalid pixels (holes at depth 0, depths beyond 8 m, NaNs) are trained towards their
garbage values. `upstream_masked_l2` reproduces that for comparison; training here uses `masked_l2`.
It equals upstream exactly when every pixel is valid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from panoconv.arch import UnsupportedOptionError
from panoconv.errors import InputShapeError
from panoconv.losses._types import LossOutput

SCALE_NAMES = ("1x", "2x", "4x")


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


def upstream_masked_l2(pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The published (buggy) L2: `(mask * MSELoss(pred, gt)).sum() / mask.sum()` == unmasked MSE.

    Kept only to document and test the difference; do not train with it.
    """
    mse = F.mse_loss(pred, gt)  # already a scalar over every pixel, invalid ones included
    m = mask.to(pred.dtype)
    return (m * mse).sum() / m.sum().clamp(min=1)


def central_gradients(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, C, H, W) -> (dx, dy), each (B, C, H, W): 0.5 * (x[j+1] - x[j-1]) along W (wrapped) and H (replicated)."""
    dx = 0.5 * (torch.roll(x, -1, dims=-1) - torch.roll(x, 1, dims=-1))
    padded = torch.cat([x[..., :1, :], x, x[..., -1:, :]], dim=-2)
    dy = 0.5 * (padded[..., 2:, :] - padded[..., :-2, :])
    return dx, dy


def masked_gradient_l1(pred: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of |dx pred| + |dy pred| over the valid pixels; (B, 1, H, W) inputs, scalar output."""
    dx, dy = central_gradients(pred)
    g = torch.where(mask, dx.abs() + dy.abs(), torch.zeros_like(pred))
    return g.sum() / mask.sum().clamp(min=1)


def _check(preds: Sequence[torch.Tensor], gt: torch.Tensor, mask: torch.Tensor, weights: ScaleWeights) -> None:
    if len(preds) != len(weights.alpha) or len(preds) != len(weights.beta):
        raise InputShapeError(f"{len(preds)} predictions but {len(weights.alpha)} alpha / "
                              f"{len(weights.beta)} beta weights; use the weights of the architecture")
    if gt.dim() != 4 or gt.shape[1] != 1 or mask.shape != gt.shape:
        raise InputShapeError(f"gt and mask must both be (B, 1, H, W); got {tuple(gt.shape)} and {tuple(mask.shape)}")
    for s, pred in enumerate(preds):
        f = 2**s
        want = (gt.shape[0], 1, -(-gt.shape[2] // f), -(-gt.shape[3] // f))
        if tuple(pred.shape) != want:
            raise InputShapeError(f"prediction {s} ({SCALE_NAMES[s]}) has shape {tuple(pred.shape)}, expected {want}")


def multiscale_depth_loss(preds: Sequence[torch.Tensor], gt: torch.Tensor, mask: torch.Tensor,
                          weights: ScaleWeights, reproduce_upstream_l2: bool = False) -> LossOutput:
    """OmniDepth's loss over `preds = [pred_1x, pred_2x, (pred_4x)]` against (B,1,H,W) `gt` and bool `mask`.

    Terms (unweighted, per scale): `l2_1x`, `grad_1x`, `l2_2x`, ...; `total` is the weighted sum.
    `reproduce_upstream_l2=True` swaps in `upstream_masked_l2` (for comparisons only).
    """
    _check(preds, gt, mask, weights)
    mask = mask.bool()
    l2_fn = upstream_masked_l2 if reproduce_upstream_l2 else masked_l2
    terms: dict[str, torch.Tensor] = {}
    total = preds[0].new_zeros(())
    for s, pred in enumerate(preds):
        gt_s, mask_s = downsample_nearest(gt, 2**s), downsample_nearest(mask, 2**s)
        l2 = l2_fn(pred, gt_s, mask_s)
        grad = masked_gradient_l1(pred, mask_s)
        terms[f"l2_{SCALE_NAMES[s]}"] = l2
        terms[f"grad_{SCALE_NAMES[s]}"] = grad
        total = total + weights.alpha[s] * l2 + weights.beta[s] * grad
    return LossOutput(total, terms)


class MultiScaleDepthLoss(nn.Module):
    """Module form of `multiscale_depth_loss`; `MultiScaleDepthLoss.for_arch("rectnet")` uses the published weights."""

    def __init__(self, weights: ScaleWeights, reproduce_upstream_l2: bool = False) -> None:
        super().__init__()
        self.weights = weights
        self.reproduce_upstream_l2 = reproduce_upstream_l2

    @classmethod
    def for_arch(cls, arch: str, reproduce_upstream_l2: bool = False) -> "MultiScaleDepthLoss":
        """The loss with the published weights of `arch` (its card's `loss_weights`)."""
        return cls(published_weights(arch), reproduce_upstream_l2)

    def forward(self, preds: Sequence[torch.Tensor], gt: torch.Tensor, mask: torch.Tensor) -> LossOutput:
        return multiscale_depth_loss(preds, gt, mask, self.weights, self.reproduce_upstream_l2)

    def extra_repr(self) -> str:
        return f"alpha={self.weights.alpha}, beta={self.weights.beta}, upstream_l2={self.reproduce_upstream_l2}"
