"""monodepth loss: every term and the disparity gradients against the TF reference, both warps and dtypes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from panoconv.errors import InputShapeError, NonFiniteError
from panoconv.losses.monodepth import MonodepthLoss, MonodepthLossConfig, monodepth_loss
from panoconv.parity._synthetic import disparity_pyramid, stereo_pair

# Loss terms: float64 proves the semantics, float32 measures drift. Disparity gradients in float32 are
# looser: the equirectangular warp's float32 trig differs by a few ulp between TF and torch (measured
# max-rel 2e-4 at 64x128), while the network-parameter gradients stay within 1e-5 (tests/parity).
TERM_TOL = {"float64": 1e-10, "float32": 1e-5}
DISP_GRAD_TOL = {"float64": 1e-10, "float32": 1e-3}
H, W, B = 64, 128, 2


def _inputs(dtype):
    left, right = stereo_pair(0, B, H, W)
    disps = disparity_pyramid(1, B, H, W)
    return left.astype(dtype), right.astype(dtype), [d.astype(dtype) for d in disps]


def _tf_loss(left, right, disps, **kw):
    from panoconv.tf_reference import loss as tfl

    tf = tfl.tf
    variables = [tf.Variable(d.transpose(0, 2, 3, 1)) for d in disps]
    with tf.GradientTape() as tape:
        terms = tfl.monodepth_loss(variables, tf.constant(left.transpose(0, 2, 3, 1)),
                                   tf.constant(right.transpose(0, 2, 3, 1)), **kw)
    grads = tape.gradient(terms["total"], variables)
    return {k: v.numpy() for k, v in terms.items()}, [g.numpy().transpose(0, 3, 1, 2) for g in grads]


def _torch_loss(left, right, disps, config):
    td = [torch.from_numpy(d).requires_grad_(True) for d in disps]
    out = monodepth_loss(td, torch.from_numpy(left), torch.from_numpy(right), config)
    out.total.backward()
    terms = {"total": out.total.detach().numpy(), **{k: v.detach().numpy() for k, v in out.terms.items()}}
    return terms, [d.grad.numpy() for d in td]


@pytest.mark.tf
@pytest.mark.parametrize("warp", ["rectilinear", "equirectangular"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_terms_and_disparity_gradients_match_tf(warp, dtype):
    left, right, disps = _inputs(dtype)
    ref_terms, ref_grads = _tf_loss(left, right, disps, mode=warp)
    terms, grads = _torch_loss(left, right, disps, MonodepthLossConfig(warp=warp))
    assert set(terms) == set(ref_terms)
    for name, ref in ref_terms.items():
        assert terms[name].dtype == ref.dtype == np.dtype(dtype), name
        assert abs(terms[name] - ref) <= TERM_TOL[dtype] * abs(ref), (name, terms[name], ref)
    for g, r in zip(grads, ref_grads):
        assert np.max(np.abs(g - r)) <= DISP_GRAD_TOL[dtype] * np.max(np.abs(r))


@pytest.mark.tf
def test_y_smoothness_option_matches_tf_and_adds_to_the_term():
    left, right, disps = _inputs("float64")
    ref_terms, _ = _tf_loss(left, right, disps, y_smoothness=True)
    terms, _ = _torch_loss(left, right, disps, MonodepthLossConfig(y_smoothness=True))
    plain, _ = _torch_loss(left, right, disps, MonodepthLossConfig())
    assert abs(terms["smoothness"] - ref_terms["smoothness"]) <= 1e-10 * ref_terms["smoothness"]
    assert terms["smoothness"] > plain["smoothness"]
    assert terms["image"] == plain["image"]


@pytest.mark.tf
def test_tf_area_pyramid_equals_average_pooling():
    from panoconv.tf_reference import loss as tfl

    x = np.random.default_rng(0).uniform(size=(1, 32, 64, 3))
    area = tfl.scale_pyramid(tfl.tf.constant(x.astype("float32")), 4)
    pooled = tfl.scale_pyramid(tfl.tf.constant(x), 4)
    for a, p in zip(area, pooled):
        np.testing.assert_allclose(a.numpy(), p.numpy(), rtol=0, atol=1e-6)


def test_total_is_weighted_sum_and_module_form():
    left, right, disps = _inputs("float64")
    config = MonodepthLossConfig(smoothness=0.3, lr=2.0)
    out = MonodepthLoss(config)([torch.from_numpy(d) for d in disps], torch.from_numpy(left),
                                torch.from_numpy(right))
    t = out.terms
    torch.testing.assert_close(out.total, t["image"] + 0.3 * t["smoothness"] + 2.0 * t["lr_consistency"])
    torch.testing.assert_close(t["image"], sum(t[f"image/{i}"] for i in range(4)))
    assert set(out.scalars()) >= {"total", "image", "smoothness", "lr_consistency"}


def test_guards():
    left, right, disps = _inputs("float64")
    td = [torch.from_numpy(d) for d in disps]
    with pytest.raises(InputShapeError):
        monodepth_loss(td[:3], torch.from_numpy(left), torch.from_numpy(right))
    with pytest.raises(InputShapeError):
        monodepth_loss(td[1:] + td[:1], torch.from_numpy(left), torch.from_numpy(right))
    with pytest.raises(ValueError):
        MonodepthLossConfig(warp="fisheye")  # type: ignore[arg-type]


def test_equirect_upstream_gpu_rows_only_matter_across_the_batch():
    g = torch.Generator().manual_seed(0)
    b, h, w = 2, 32, 64
    left = torch.rand(b, 3, h, w, generator=g, dtype=torch.float64)
    right = torch.rand(b, 3, h, w, generator=g, dtype=torch.float64)
    disps = [0.3 * torch.rand(b, 2, h >> i, w >> i, generator=g, dtype=torch.float64) for i in range(4)]
    base = MonodepthLossConfig(warp="equirectangular", fov_deg=160.0)
    gpu = MonodepthLossConfig(warp="equirectangular", fov_deg=160.0, equirect_rows="upstream-gpu")
    one = [d[:1] for d in disps]
    assert float(monodepth_loss(one, left[:1], right[:1], base).total) == \
        float(monodepth_loss(one, left[:1], right[:1], gpu).total)
    both = [float(monodepth_loss(disps, left, right, c).total) for c in (base, gpu)]
    assert both[0] != both[1]  # rows leaving one image read the other one
    with pytest.raises(ValueError, match="unknown equirect_rows"):
        MonodepthLossConfig(equirect_rows="wrap")


@pytest.mark.parametrize("warp", ["rectilinear", "equirectangular", "panorama"])
def test_nan_disparity_or_image_is_named_before_the_warp(warp):
    left, right, disps = _inputs("float32")
    td = [torch.from_numpy(d).clone() for d in disps]
    td[2][0, 1, 3, 4] = float("nan")  # without the guard: an index error inside the sampler's gather
    config = MonodepthLossConfig(warp=warp)
    with pytest.raises(NonFiniteError, match=r"non-finite values in disp3 before the warp"):
        monodepth_loss(td, torch.from_numpy(left), torch.from_numpy(right), config)
    bad_left = torch.from_numpy(left).clone()
    bad_left[1, 0, 0, 0] = float("inf")
    with pytest.raises(NonFiniteError, match=r"non-finite values in left image before"):
        monodepth_loss([torch.from_numpy(d) for d in disps], bad_left, torch.from_numpy(right), config)
