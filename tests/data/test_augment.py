"""Reference augmentation: flip swaps and mirrors, colour ranges, one draw per pair, seeded per sample."""

from __future__ import annotations

import numpy as np

from panoconv.data.augment import (
    BRIGHTNESS_RANGE,
    COLOUR_RANGE,
    GAMMA_RANGE,
    AugmentParams,
    apply_colour,
    augment_pair,
    draw_params,
    sample_rng,
)


def test_same_seed_epoch_index_gives_same_params_and_epoch_changes_them() -> None:
    a = [draw_params(sample_rng(7, 3, i)) for i in range(20)]
    b = [draw_params(sample_rng(7, 3, i)) for i in reversed(range(20))][::-1]  # order does not matter
    assert a == b
    c = [draw_params(sample_rng(7, 4, i)) for i in range(20)]
    d = [draw_params(sample_rng(8, 3, i)) for i in range(20)]
    assert all(x.gamma != y.gamma for x, y in zip(a, c))
    assert all(x.gamma != y.gamma for x, y in zip(a, d))


def test_parameter_statistics() -> None:
    params = [draw_params(sample_rng(0, 0, i)) for i in range(4000)]
    assert abs(np.mean([p.flip for p in params]) - 0.5) < 0.04
    assert abs(np.mean([p.colour for p in params]) - 0.5) < 0.04
    gamma = np.array([p.gamma for p in params])
    bright = np.array([p.brightness for p in params])
    gains = np.array([p.channel_gains for p in params])
    for values, (lo, hi) in ((gamma, GAMMA_RANGE), (bright, BRIGHTNESS_RANGE), (gains, COLOUR_RANGE)):
        assert values.min() >= lo and values.max() <= hi
        assert abs(values.mean() - (lo + hi) / 2) < 0.03 * (hi - lo) + 0.01
    # the three channel gains are drawn independently
    assert abs(np.corrcoef(gains[:, 0], gains[:, 1])[0, 1]) < 0.1


def test_flip_swaps_and_mirrors(rng) -> None:
    left, right = rng.random((4, 6, 3)).astype(np.float32), rng.random((4, 6, 3)).astype(np.float32)
    p = AugmentParams(flip=True, colour=False, gamma=1.0, brightness=1.0, channel_gains=(1.0, 1.0, 1.0))
    new_left, new_right = augment_pair(left, right, p)
    np.testing.assert_array_equal(new_left, right[:, ::-1])
    np.testing.assert_array_equal(new_right, left[:, ::-1])


def test_colour_is_the_same_draw_for_both_images_and_clipped(rng) -> None:
    img = rng.random((4, 6, 3)).astype(np.float32)
    p = AugmentParams(flip=False, colour=True, gamma=1.1, brightness=1.9, channel_gains=(0.8, 1.0, 1.2))
    new_left, new_right = augment_pair(img, img.copy(), p)
    expected = np.clip(img ** 1.1 * 1.9 * np.array([0.8, 1.0, 1.2]), 0, 1)
    np.testing.assert_allclose(new_left, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(new_left, new_right)
    assert new_left.max() <= 1.0 and (new_left == 1.0).any()
    np.testing.assert_array_equal(apply_colour(img, p), new_left)


def test_no_augmentation_leaves_images_alone(rng) -> None:
    left, right = rng.random((4, 6, 3)).astype(np.float32), rng.random((4, 6, 3)).astype(np.float32)
    p = AugmentParams(flip=False, colour=False, gamma=1.2, brightness=2.0, channel_gains=(1.2, 1.2, 1.2))
    new_left, new_right = augment_pair(left, right, p)
    np.testing.assert_array_equal(new_left, left)
    np.testing.assert_array_equal(new_right, right)
