"""float32 staged loss parity: each stage fed identical inputs, so a real float32 bug is told apart
from forward drift (see `panoconv.parity.loss`)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from panoconv.parity.loss import LossParityRequest, floor_flips, run_staged_float32

pytestmark = pytest.mark.tf
SMALL = dict(height=128, width=128, batch=1, dtypes=("float32",), adam_steps=0)


@pytest.fixture(scope="module")
def staged_f32():
    return run_staged_float32(LossParityRequest(warp="rectilinear", **SMALL))


def test_float32_staged_checks_meet_1e5(staged_f32):
    r = staged_f32
    assert len(r.loss_backward) == 4 and len(r.network_backward) == 64 and len(r.floor_flips) == 4
    # Measured at 128x128: loss backward 5e-6, network backward 4e-6, under the plain tolerance.
    assert r.worst("loss_backward").max_rel <= 1e-5
    assert r.worst("network_backward").max_rel <= 1e-5
    assert all(d.float32_floor is not None for d in r.loss_backward + r.network_backward)
    assert r.passed


def test_staged_loss_backward_catches_a_float32_loss_bug(monkeypatch):
    """A subtly wrong SSIM (C2 off by 1 %) in the PyTorch loss must fail the staged check."""
    import panoconv.losses.monodepth as md
    from panoconv.losses import ssim as ssim_mod

    def wrong_ssim(x, y):
        monkeypatch.setattr(ssim_mod, "C2", 0.03 ** 2 * 1.01)
        try:
            return ssim_mod.ssim_map(x, y)
        finally:
            monkeypatch.setattr(ssim_mod, "C2", 0.03 ** 2)

    monkeypatch.setattr(md, "ssim_map", wrong_ssim)
    r = run_staged_float32(LossParityRequest(warp="rectilinear", **SMALL))
    assert not all(d.passed for d in r.loss_backward)
    assert not r.passed


def test_tf_exact_square_ssim_matches_torch():
    """TF's float32 `t ** 2` is not correctly rounded; with `tf.square` the SSIM map equals PyTorch's."""
    from panoconv.losses.ssim import ssim_map
    from panoconv.parity._synthetic import stereo_pair
    from panoconv.tf_reference.loss import ssim, tf

    left, right = stereo_pair(1, 1, 64, 64)
    x, y = left.astype(np.float32), right.astype(np.float32)
    tx = tf.Variable(x.transpose(0, 2, 3, 1))
    with tf.GradientTape() as tape:
        m = ssim(tx, tf.constant(y.transpose(0, 2, 3, 1)), exact_square=True)
        v = tf.reduce_mean(m)
    g_tf = tape.gradient(v, tx).numpy().transpose(0, 3, 1, 2)
    px = torch.from_numpy(x).requires_grad_()
    mp = ssim_map(px, torch.from_numpy(y))
    mp.mean().backward()
    assert np.max(np.abs(mp.detach().numpy() - m.numpy().transpose(0, 3, 1, 2))) <= 1e-7
    assert np.max(np.abs(px.grad.numpy() - g_tf)) / np.max(np.abs(g_tf)) <= 1e-4


def test_floor_flips_counts_pixel_pair_changes():
    w = 64
    a = np.full((1, 2, 2, w), 0.25, np.float32)                        # x = x_t -/+ 16 + 1: integers
    b = a.copy()
    b[0, 1, 0, 10] = 0.25 - 1e-7                                       # +dR 6e-6 px lower: floor drops
    b[0, 0, 1, 20] = np.nextafter(np.float32(0.25), np.float32(1))     # -dL one ulp higher: floor drops
    b[0, 0, 1, 30] = np.nextafter(np.float32(0.25), np.float32(0))     # x an ulp above the integer: same pair
    b[0, 0, 1, 21] = 0.25 + 1e-3                                       # 0.064 px lower: also drops
    assert floor_flips([a], [a]) == [0]
    assert floor_flips([a], [b]) == [3]
