"""monodepth's post-processing formula and the resize matrices."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from panoconv.inference.pipeline import predict_array
from panoconv.inference.postprocess import combine_flipped, edge_masks
from panoconv.inference.resize import resize_matrix, resize_numpy, resize_torch
from tests.inference._fakes import ColumnDisparity


def test_edge_masks_match_formula():
    l_mask, r_mask = edge_masks(21)  # u = 0, 0.05, ..., 1
    u = np.linspace(0, 1, 21)
    np.testing.assert_allclose(l_mask.numpy(), 1 - np.clip(20 * (u - 0.05), 0, 1), atol=1e-7)
    np.testing.assert_allclose(r_mask.numpy(), l_mask.numpy()[::-1])
    assert l_mask[0] == 1 and l_mask[1] == 1 and l_mask[3] == 0


def test_combine_flipped_edge_blend_by_hand():
    d = torch.full((1, 2, 21), 1.0, dtype=torch.float64)
    f = torch.full((1, 2, 21), 3.0, dtype=torch.float64)
    out = combine_flipped(d, f, edge_blend=True)[0, 0].numpy()
    assert out[0] == 3.0  # left border from the mirrored pass
    assert out[-1] == 1.0  # right border from the plain pass
    assert out[10] == 2.0  # middle: the mean
    assert out[2] == pytest.approx(0.0 * 3 + 0.0 * 1 + 1.0 * 2.0)  # u = 0.1: mask 0, mean
    np.testing.assert_allclose(combine_flipped(d, f, edge_blend=False).numpy(), 2.0)


def test_flip_average_in_the_pipeline_cancels_a_ramp():
    # the mirrored pass sees the same left-to-right ramp; flipped back and averaged it is symmetric
    out = predict_array(ColumnDisparity(), np.zeros((128, 256, 3), np.float32), "equirectangular", raw=True)
    np.testing.assert_allclose(out, out[:, ::-1], atol=1e-6)


@pytest.mark.parametrize("n_in, n_out, kernel", [(300, 208, "lanczos3"), (75, 104, "lanczos3"),
                                                 (208, 300, "triangle"), (7, 3, "triangle")])
def test_resize_matrix_rows_sum_to_one(n_in, n_out, kernel):
    m = resize_matrix(n_in, n_out, kernel)
    assert m.shape == (n_out, n_in)
    np.testing.assert_allclose(m.sum(1), 1.0, atol=1e-12)


def test_resize_same_size_is_identity_and_backends_agree():
    np.testing.assert_allclose(resize_matrix(50, 50, "lanczos3"), np.eye(50), atol=1e-12)
    x = np.random.default_rng(0).random((30, 40, 3))
    a = resize_numpy(x, (17, 23))
    b = resize_torch(torch.from_numpy(x).permute(2, 0, 1), (17, 23)).permute(1, 2, 0).numpy()
    np.testing.assert_allclose(a, b, atol=1e-12)
