"""benchmarks/photometric_ambiguity.py: the truth wins where a texture never repeats; a period aliases."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import photometric_ambiguity as pa

from panoconv.evaluation.datasets import EvalData
from panoconv.evaluation.evaluate import _to_depth

H, W, SHIFT = 32, 96, 16  # a fronto-parallel wall whose true disparity is SHIFT pixels
FOCAL = (W / 2.0) / np.tan(np.radians(45.0))  # a 90-degree pinhole camera, 1 m baseline
PINHOLE = EvalData("wall", "eigen", "rectilinear", [], np.load, "pinhole", 1.0, focal=FOCAL)


def _check(left, right, depth, **kw):
    return pa.check_scene(left, right, pa.true_disparity(depth, PINHOLE), "rectilinear", 90.0, **kw)


def _pair(texture: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """texture (H, W + SHIFT, 3) -> left, right views of a wall seen SHIFT pixels apart, and its depth."""
    left, right = texture[:, :W], texture[:, SHIFT:SHIFT + W]  # left(x) = right(x - SHIFT)
    depth = np.full((H, W), FOCAL * 1.0 / SHIFT)  # d * W = f B / Z = SHIFT pixels
    return left, right, depth


def test_the_truth_wins_on_a_texture_that_never_repeats():
    rng = np.random.default_rng(0)
    left, right, depth = _pair(rng.uniform(size=(H, W + SHIFT, 3)))
    np.testing.assert_allclose(pa.true_disparity(depth, PINHOLE) * W, SHIFT, rtol=1e-9)
    check = _check(left, right, depth)
    assert check.best_factor == 1.0 and not check.ambiguous
    assert check.losses[1.0] < 0.05 < 0.5 * min(v for k, v in check.losses.items() if k != 1.0)


def test_a_period_that_divides_the_disparity_aliases():
    period = SHIFT // 4  # k = 0.25, 0.5, 0.75 and 0 all shift by whole periods
    x = np.arange(W + SHIFT)
    stripes = np.where((x % period) < period // 2, 0.9, 0.1)
    left, right, depth = _pair(np.repeat(np.tile(stripes, (H, 1))[..., None], 3, axis=2))
    check = _check(left, right, depth)
    assert check.ambiguous
    assert abs(check.losses[0.5] - check.losses[1.0]) < 1e-6 and check.losses[0.375] > check.losses[1.0] + 0.1


def test_the_zero_border_favours_smaller_disparities_unless_left_out():
    rng = np.random.default_rng(1)
    left, right, depth = _pair(rng.uniform(size=(H, W + SHIFT, 3)))
    kept = _check(left, right, depth)
    every = _check(left, right, depth, border=True)
    assert every.losses[1.0] > kept.losses[1.0] + 0.02  # the first SHIFT columns read zeros at k = 1
    assert every.losses[1.5] - every.losses[1.0] > 0.0  # more border at a larger disparity


def test_true_disparity_is_what_the_evaluation_scores_as_the_true_depth():
    depth = np.random.default_rng(2).uniform(1.0, 60.0, size=(H, W))
    equirect = EvalData("crops", "eigen", "rectilinear", [], np.load, "fov", 0.54, fov_rad=np.radians(100.0))
    for data in (PINHOLE, equirect):
        np.testing.assert_allclose(_to_depth(pa.true_disparity(depth, data), data, "disparity", W), depth,
                                   rtol=1e-12)


def _noise_on_blobs(seed: int) -> np.ndarray:
    """Pixel noise over smooth blobs (H, W + SHIFT, 3): fine detail that aliases, a coarse shape that
    does not."""
    rng = np.random.default_rng(seed)
    x = np.arange(W + SHIFT)[None, :, None]
    y = np.arange(H)[:, None, None]
    phase = rng.uniform(0, 2 * np.pi, size=(1, 1, 3))
    blobs = 0.5 + 0.3 * np.sin(2 * np.pi * x / 48 + phase) * np.cos(2 * np.pi * y / 40)
    return np.clip(blobs + 0.4 * (rng.uniform(size=(H, W + SHIFT, 3)) - 0.5), 0, 1)


def test_the_coarse_pyramid_level_pulls_a_far_off_disparity_in_where_full_resolution_does_not():
    left, right, depth = _pair(_noise_on_blobs(3))
    full, coarse = _check(left, right, depth), _check(left, right, depth, scale=3)
    assert full.best_factor == 1.0 and coarse.best_factor == 1.0
    assert not full.pulled_in  # pixel noise: a quarter of the disparity scores no better than half of it
    assert coarse.pulled_in  # pooled 8x, only the blobs remain, and the loss falls all the way to the truth
    path = [coarse.losses[k] for k in sorted(coarse.losses) if pa.PULL_FROM <= k <= 1.0]
    assert path[0] - path[-1] > 0.05
