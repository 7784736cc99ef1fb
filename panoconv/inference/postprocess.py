"""Combining a prediction with the prediction of the mirrored image (monodepth section 6).

d = disparity of the image, f = disparity of the mirrored image flipped back. Plain average
m = (d + f) / 2 (used for panoramas, where the edge blend would create a seam). monodepth's edge blend
for rectilinear images: with u in [0, 1] across the width, l_mask = 1 - clip(20 (u - 0.05), 0, 1),
r_mask = flip(l_mask), out = r_mask d + l_mask f + (1 - l_mask - r_mask) m; it takes the left 5 % from
the mirrored pass (where the plain pass sees occluded borders) and the right 5 % from the plain pass.
"""

from __future__ import annotations

import torch


def edge_masks(width: int, dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """(l_mask, r_mask), each (W,), as monodepth builds them from `linspace(0, 1, W)`."""
    u = torch.linspace(0.0, 1.0, width, dtype=torch.float64)
    l_mask = 1.0 - torch.clamp(20.0 * (u - 0.05), 0.0, 1.0)
    return l_mask.to(dtype), torch.flip(l_mask, [0]).to(dtype)


def combine_flipped(d: torch.Tensor, f: torch.Tensor, edge_blend: bool) -> torch.Tensor:
    """(B, H, W) disparity and flipped-back disparity of the mirrored image -> (B, H, W)."""
    m = 0.5 * (d + f)
    if not edge_blend:
        return m
    l_mask, r_mask = edge_masks(d.shape[-1], d.dtype)
    return r_mask * d + l_mask * f + (1.0 - l_mask - r_mask) * m
