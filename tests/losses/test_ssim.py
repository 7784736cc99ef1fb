"""monodepth SSIM: VALID 3x3 box filters, against TF's avg_pool formulation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from panoconv.errors import InputShapeError
from panoconv.losses.ssim import SSIMMap, ssim_map


def test_identical_images_give_zero_and_valid_shape():
    x = torch.rand(2, 3, 9, 11, dtype=torch.float64)
    out = ssim_map(x, x)
    assert out.shape == (2, 3, 7, 9)
    torch.testing.assert_close(out, torch.zeros_like(out), rtol=0, atol=1e-12)


def test_gradcheck():
    x = torch.rand(1, 2, 5, 6, dtype=torch.float64, requires_grad=True)
    y = torch.rand(1, 2, 5, 6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(ssim_map, (x, y))


@pytest.mark.tf
def test_matches_tf_reference():
    from panoconv.tf_reference import loss as tfl

    rng = np.random.default_rng(0)
    x, y = rng.uniform(size=(2, 2, 3, 12, 20))
    ref = tfl.ssim(tfl.tf.constant(x.transpose(0, 2, 3, 1)), tfl.tf.constant(y.transpose(0, 2, 3, 1))).numpy()
    out = SSIMMap()(torch.from_numpy(x), torch.from_numpy(y)).numpy()
    np.testing.assert_allclose(out, ref.transpose(0, 3, 1, 2), rtol=1e-13, atol=1e-15)


def test_guards():
    with pytest.raises(InputShapeError):
        ssim_map(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 9))
    with pytest.raises(InputShapeError):
        ssim_map(torch.rand(1, 3, 2, 8), torch.rand(1, 3, 2, 8))
