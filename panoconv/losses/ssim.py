"""monodepth's SSIM dissimilarity: 3x3 box filters with no padding (VALID), as the reference computes it.

Deliberately not a library SSIM: those use Gaussian windows or padding, and would not match TF.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from panoconv.errors import InputShapeError
from panoconv.guards import check_same_shape

C1 = 0.01 ** 2
C2 = 0.03 ** 2


def ssim_map(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) x2 -> (B, C, H-2, W-2) map of clip((1 - SSIM) / 2, 0, 1).

    mu = avgpool3x3_valid(.); sigma_x = avgpool(x^2) - mu_x^2; sigma_xy = avgpool(x y) - mu_x mu_y;
    SSIM = ((2 mu_x mu_y + C1)(2 sigma_xy + C2)) / ((mu_x^2 + mu_y^2 + C1)(sigma_x + sigma_y + C2)),
    C1 = 0.01^2, C2 = 0.03^2.
    """
    check_same_shape(x.shape, y.shape, "two (B, C, H, W) tensors", where="ssim_map")
    if x.shape[-1] < 3 or x.shape[-2] < 3:
        raise InputShapeError(f"ssim_map needs H, W >= 3 (3x3 VALID window), got {tuple(x.shape)}")

    def pool(t: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(t, 3, 1)

    mu_x = pool(x)
    mu_y = pool(y)
    sigma_x = pool(x * x) - mu_x * mu_x
    sigma_y = pool(y * y) - mu_y * mu_y
    sigma_xy = pool(x * y) - mu_x * mu_y
    ssim_n = (2 * mu_x * mu_y + C1) * (2 * sigma_xy + C2)
    ssim_d = (mu_x * mu_x + mu_y * mu_y + C1) * (sigma_x + sigma_y + C2)
    return torch.clamp((1 - ssim_n / ssim_d) / 2, 0, 1)


class SSIMMap(nn.Module):
    """Module form of `ssim_map`."""

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return ssim_map(x, y)
