"""OmniDepth multi-scale loss: hand-computed values, masking (vs the upstream bug), weights, shape checks."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from panoconv.errors import InputShapeError
from panoconv.losses.supervised import (
    MultiScaleDepthLoss,
    central_gradients,
    downsample_nearest,
    masked_gradient_l1,
    masked_l2,
    multiscale_depth_loss,
    published_weights,
    upstream_gradient_l1,
    upstream_l2,
)


def t(rows) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float32)[None, None]


def test_masked_l2_is_the_masked_mean_and_differs_from_upstream():
    pred = torch.ones(1, 1, 2, 2)
    gt = t([[2.0, 3.0], [4.0, 100.0]])  # 100 m: an invalid far pixel
    mask = torch.tensor([[True, True], [True, False]])[None, None]
    assert float(masked_l2(pred, gt, mask)) == pytest.approx((1 + 4 + 9) / 3)
    # upstream: mask * MSELoss(pred, gt * mask) is the unmasked MSE against 0 m at the invalid pixel
    assert float(upstream_l2(pred, gt * mask, mask)) == pytest.approx((1 + 4 + 9 + 1) / 4)
    full = torch.ones_like(mask)
    assert float(masked_l2(pred, gt, full)) == pytest.approx(float(upstream_l2(pred, gt, full)))
    assert torch.isnan(upstream_l2(pred, gt, torch.zeros_like(mask)))  # 0 / 0, as upstream


def test_masked_terms_ignore_nan_ground_truth_and_empty_mask_is_zero():
    pred = torch.ones(1, 1, 2, 2, requires_grad=True)
    gt = t([[2.0, float("nan")], [float("inf"), 3.0]])
    mask = torch.tensor([[True, False], [False, True]])[None, None]
    loss = masked_l2(pred, gt, mask)
    loss.backward()
    assert float(loss.detach()) == pytest.approx((1 + 4) / 2)
    assert torch.isfinite(pred.grad).all()
    assert float(masked_l2(pred.detach(), gt, torch.zeros_like(mask))) == 0.0


def test_central_gradients_wrap_columns_and_replicate_rows():
    x = torch.arange(4.0).repeat(3, 1)[None, None]  # x[i, j] = j
    dx, dy = central_gradients(x)
    assert dx[0, 0, 0].tolist() == [-1.0, 1.0, 1.0, -1.0]  # seam: 0.5 * (1 - 3), 0.5 * (0 - 2)
    assert float(dy.abs().max()) == 0.0
    y = torch.arange(3.0)[:, None].repeat(1, 4)[None, None]  # y[i, j] = i
    _, dy = central_gradients(y)
    assert dy[0, 0, :, 0].tolist() == [0.5, 1.0, 0.5]


def test_masked_gradient_l1_value():
    x = torch.arange(4.0).repeat(3, 1)[None, None]
    mask = torch.zeros(1, 1, 3, 4, dtype=torch.bool)
    mask[..., 1:3] = True  # interior columns: |dx| = 1, dy = 0
    assert float(masked_gradient_l1(x, mask)) == pytest.approx(1.0)
    mask[..., 0] = True  # seam column: |dx| = 1 as well
    assert float(masked_gradient_l1(x, mask)) == pytest.approx(1.0)


def test_downsample_nearest_matches_interpolate():
    x = torch.arange(64.0).reshape(1, 1, 8, 8)
    for f in (2, 4):
        assert torch.equal(downsample_nearest(x, f), F.interpolate(x, scale_factor=1 / f, mode="nearest"))


def test_rectnet_weights_total_from_constant_maps():
    gt, mask = torch.full((2, 1, 8, 16), 3.0), torch.ones(2, 1, 8, 16, dtype=torch.bool)
    preds = [torch.full((2, 1, 8, 16), 1.0), torch.full((2, 1, 4, 8), 2.0)]
    out = MultiScaleDepthLoss.for_arch("rectnet")(preds, gt, mask)
    assert set(out.terms) == {"l2_1x", "grad_1x", "l2_2x", "grad_2x"}
    assert float(out.terms["l2_1x"]) == pytest.approx(4.0) and float(out.terms["l2_2x"]) == pytest.approx(1.0)
    assert float(out.terms["grad_1x"]) == 0.0
    assert float(out.total) == pytest.approx(0.535 * 4.0 + 0.272 * 1.0)


def test_uresnet_weights_gradient_term_only_at_full_resolution():
    assert published_weights("uresnet").alpha == (0.445, 0.275, 0.13)
    gt = torch.zeros(1, 1, 8, 16)
    mask = torch.ones_like(gt, dtype=torch.bool)
    preds = [torch.arange(float(w)).repeat(w // 2, 1)[None, None] for w in (16, 8, 4)]  # column ramps
    out = multiscale_depth_loss(preds, gt, mask, published_weights("uresnet"))
    l2 = [float(out.terms[f"l2_{s}"]) for s in ("1x", "2x", "4x")]
    grads = [float(out.terms[f"grad_{s}"]) for s in ("1x", "2x", "4x")]
    assert all(g > 0 for g in grads)  # logged, but weighted by beta = 0 below full resolution
    expected = 0.445 * l2[0] + 0.275 * l2[1] + 0.13 * l2[2] + 0.15 * grads[0]
    assert float(out.total) == pytest.approx(expected)


def test_ground_truth_downsampled_by_nearest():
    gt = torch.arange(1.0, 65.0).reshape(1, 1, 8, 8)
    mask = torch.ones_like(gt, dtype=torch.bool)
    preds = [gt.clone(), torch.zeros(1, 1, 4, 4)]
    out = multiscale_depth_loss(preds, gt, mask, published_weights("rectnet"))
    assert float(out.terms["l2_1x"]) == 0.0
    assert float(out.terms["l2_2x"]) == pytest.approx(float((gt[..., ::2, ::2] ** 2).mean()))


def test_exception_shapes_and_weight_count():
    gt, mask = torch.ones(1, 1, 8, 16), torch.ones(1, 1, 8, 16, dtype=torch.bool)
    with pytest.raises(InputShapeError, match="prediction 1"):
        multiscale_depth_loss([gt, torch.ones(1, 1, 8, 16)], gt, mask, published_weights("rectnet"))
    with pytest.raises(InputShapeError, match="2 predictions but 3"):
        multiscale_depth_loss([gt, torch.ones(1, 1, 4, 8)], gt, mask, published_weights("uresnet"))
    with pytest.raises(InputShapeError, match="gt and mask"):
        multiscale_depth_loss([gt, torch.ones(1, 1, 4, 8)], gt, mask[0], published_weights("rectnet"))
    with pytest.raises(KeyError, match="monodepth"):
        MultiScaleDepthLoss.for_arch("monodepth")


# --- OmniDepth-PyTorch's loss, transcribed in the tests from its description (its criteria.py,
# dataset.py and the trainer's parse_data), to prove variant="omnidepth-pytorch" equals it bit for bit.
def _upstream_total(preds, gt_raw, mask_bool, alpha, beta):
    mask = mask_bool.to(gt_raw.dtype)  # upstream: float32 (its data set), so float64 runs need float64 masks
    gt = gt_raw * mask  # its data set: `depth *= depth_mask`
    gts = [gt, F.interpolate(gt, scale_factor=0.5), F.interpolate(gt, scale_factor=0.25)]
    masks = [mask, F.interpolate(mask, scale_factor=0.5), F.interpolate(mask, scale_factor=0.25)]
    fx = torch.tensor([[0, 0, 0], [-0.5, 0, 0.5], [0, 0, 0]], dtype=gt.dtype).view(1, 1, 3, 3)
    fy = torch.tensor([[0, -0.5, 0], [0, 0, 0], [0, 0.5, 0]], dtype=gt.dtype).view(1, 1, 3, 3)
    total = 0
    for i, pred in enumerate(preds):
        m = masks[i]
        count = (m > 0).sum().float().to(gt.dtype)
        total += alpha[i] * ((m * torch.nn.MSELoss()(pred, gts[i])).sum() / count)
        dx = F.conv2d(pred, fx, padding=1, groups=pred.shape[1])
        dy = F.conv2d(pred, fy, padding=1, groups=pred.shape[1])
        g = m * (dx.abs().sum(1, keepdim=True) + dy.abs().sum(1, keepdim=True))
        total += beta[i] * (g.sum() / count)
    return total


@pytest.mark.parametrize("arch", ["rectnet", "uresnet"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_omnidepth_pytorch_variant_equals_upstream_bit_for_bit(arch, dtype):
    g = torch.Generator().manual_seed(0)
    b, h, w = 2, 16, 32
    gt = torch.rand(b, 1, h, w, generator=g, dtype=dtype) * 10.0  # some beyond 8 m
    gt[:, :, :3, :5] = 0.0  # holes
    mask = (gt > 0) & (gt <= 8.0)
    n = len(published_weights(arch).alpha)
    preds = [torch.rand(b, 1, h >> i, w >> i, generator=g, dtype=dtype, requires_grad=True) for i in range(n)]
    weights = published_weights(arch)
    ours = multiscale_depth_loss(preds, gt, mask, weights, variant="omnidepth-pytorch").total
    theirs = _upstream_total(preds, gt, mask, weights.alpha, weights.beta)
    assert ours.dtype == dtype and torch.equal(ours, theirs)
    g_ours = torch.autograd.grad(ours, preds)
    g_theirs = torch.autograd.grad(theirs, preds)
    assert all(torch.equal(a, c) for a, c in zip(g_ours, g_theirs))
    default = multiscale_depth_loss(preds, gt, mask, weights).total
    assert abs(float(default.detach()) - float(ours.detach())) > 1e-3  # the documented differences are real


def test_upstream_gradient_zero_pads_the_border_and_default_wraps():
    x = torch.full((1, 1, 3, 4), 2.0)  # constant: no gradient anywhere inside
    mask = torch.ones_like(x, dtype=torch.bool)
    assert float(masked_gradient_l1(x, mask)) == 0.0  # wrapped columns, replicated rows
    # zero padding: each border pixel sees a 0 neighbour, |0.5 * 2| = 1 per padded direction
    expected = (2 * 3 + 2 * 4) * 1.0 / 12  # 2 border columns x 3 rows (dx) + 2 border rows x 4 columns (dy)
    assert float(upstream_gradient_l1(x, mask)) == pytest.approx(expected)
    with pytest.raises(ValueError, match="unknown supervised loss variant"):
        MultiScaleDepthLoss.for_arch("rectnet", variant="caffe")
