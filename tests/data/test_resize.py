"""Area resize: integer factors are average pooling, fractional factors weight partial overlaps."""

from __future__ import annotations

import numpy as np
import pytest

from panoconv.data.resize import area_weights, resize_area


def test_integer_factor_is_average_pooling(rng) -> None:
    img = rng.random((8, 12, 3))
    expected = img.reshape(4, 2, 4, 3, 3).mean(axis=(1, 3))
    np.testing.assert_allclose(resize_area(img, 4, 4), expected, rtol=1e-6, atol=1e-6)


def test_fractional_factor_weights_partial_pixels() -> None:
    np.testing.assert_allclose(area_weights(3, 2), [[2 / 3, 1 / 3, 0], [0, 1 / 3, 2 / 3]])
    out = resize_area(np.array([[0.0, 3.0, 6.0]]), 1, 2)
    np.testing.assert_allclose(out, [[1.0, 5.0]], rtol=1e-6)


@pytest.mark.parametrize("shape, size", [((375, 1242), (256, 512)), ((7, 5), (3, 4)), ((10, 10), (10, 10))])
def test_rows_sum_to_one_and_mean_preserved(rng, shape, size) -> None:
    img = rng.random((*shape, 3))
    out = resize_area(img, *size)
    assert out.shape == (*size, 3) and out.dtype == np.float32
    np.testing.assert_allclose(area_weights(shape[0], size[0]).sum(axis=1), 1.0)
    np.testing.assert_allclose(out.mean(), img.mean(), rtol=1e-5)
    const = resize_area(np.full((*shape, 3), 0.25), *size)
    np.testing.assert_allclose(const, 0.25, rtol=1e-6)


def test_nearest_picks_the_pixel_under_each_output_centre_and_never_blends() -> None:
    from panoconv.data.resize import nearest_indices, resize_nearest

    assert nearest_indices(8, 4).tolist() == [1, 3, 5, 7]  # the pixel under each output centre
    assert nearest_indices(4, 8).tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    assert nearest_indices(5, 3).tolist() == [0, 2, 4]
    depth = np.zeros((6, 9), np.float32)
    depth[::2] = 7.5  # holes in every other row
    out = resize_nearest(depth, 4, 5)
    assert out.shape == (4, 5) and set(np.unique(out)) <= {0.0, 7.5}
    mask = depth > 0
    assert resize_nearest(mask, 4, 5).dtype == bool
    np.testing.assert_array_equal(resize_nearest(mask, 4, 5), out > 0)


def test_disparity_in_pixels_scales_with_the_width() -> None:
    from panoconv.data.resize import resize_disparity_px

    disp = np.full((4, 8), 12.0, np.float32)
    disp[:2] = 0.0  # invalid rows
    half = resize_disparity_px(disp, 2, 4)
    assert half.tolist() == [[0.0] * 4, [6.0] * 4]  # row 0 is invalid, the rest halved with the width
    assert resize_disparity_px(disp, 4, 16)[3, 0] == 24.0
