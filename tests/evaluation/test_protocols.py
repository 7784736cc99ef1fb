"""Evaluation protocols on hand-made ground truth: crops, caps, median scaling, d1_all, sizes."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from panoconv.evaluation.datasets import read_depth, read_png16
from panoconv.evaluation.protocols import (
    GroundTruthError,
    crop_mask,
    d1_all,
    eigen_score,
    kitti_stereo_score,
    panorama_score,
)


def test_garg_crop_rows_and_columns():
    m = crop_mask((100, 200), "garg")
    rows, cols = np.flatnonzero(m.any(1)), np.flatnonzero(m.any(0))
    assert (rows[0], rows[-1], cols[0], cols[-1]) == (40, 98, 7, 191)
    assert crop_mask((10, 10), "none").all()


def test_eigen_cap_excludes_far_gt_and_clips_prediction():
    gt = np.array([[10.0, 90.0, 0.0, 20.0]])
    pred = np.array([[10.0, 1.0, 5.0, 200.0]])  # 200 m is clipped to 80
    score = eigen_score(gt, pred, crop="none")
    assert score.valid_pixels == 2  # the 90 m and 0 m pixels are not ground truth
    assert score.metrics.abs_rel == pytest.approx(0.5 * (0 + 60 / 20))


def test_eigen_crop_ignores_pixels_outside():
    gt = np.full((100, 200), 10.0)
    pred = np.full((100, 200), 10.0)
    pred[:40] = 1.0  # wrong only above the Garg crop
    assert eigen_score(gt, pred, crop="garg").metrics.abs_rel == 0.0
    assert eigen_score(gt, pred, crop="none").metrics.abs_rel > 0.3


def test_panorama_median_scaling_and_valid_range():
    gt = np.array([[1.0, 2.0, 4.0, 9.0, 0.0, 3.0]])
    pred = 5.0 * np.array([[1.0, 2.0, 4.0, 1.0, 1.0, np.nan]])
    score = panorama_score(gt, pred)
    assert score.valid_pixels == 3  # 9 m > 8 m cap, 0 m invalid, NaN prediction (outside the band)
    assert score.scale == pytest.approx(0.2)
    assert score.metrics.abs_rel == pytest.approx(0.0, abs=1e-12) and score.metrics.a1 == 1.0
    unscaled = panorama_score(gt, pred, median_scaling=False)
    assert unscaled.metrics.abs_rel == pytest.approx(4.0)


def test_d1_all_by_hand():
    gt = np.array([10.0, 10.0, 100.0, 0.0])
    pred = np.array([12.9, 13.5, 104.0, 50.0])  # 2.9 px: no; 3.5 px & 35 %: yes; 4 px but 4 %: no
    assert d1_all(gt, pred, gt > 0) == pytest.approx(1 / 3)


def test_kitti_stereo_perfect_prediction():
    gt = np.zeros((5, 6))
    gt[2:, :] = 40.0
    score = kitti_stereo_score(gt, np.full((5, 6), 40.0), focal=721.5377)
    assert score.metrics.abs_rel == 0.0 and score.d1_all == 0.0 and score.valid_pixels == 18


def test_wrong_size_ground_truth_is_a_clear_error():
    with pytest.raises(GroundTruthError, match="ground truth is 4x3 but the prediction is 8x6"):
        eigen_score(np.ones((3, 4)), np.ones((6, 8)))


def test_png16_ground_truth_is_divided_by_256(tmp_path):
    arr = np.array([[0, 256, 25600]], np.uint16)
    Image.fromarray(arr).save(tmp_path / "d.png")
    np.testing.assert_allclose(read_png16(tmp_path / "d.png"), [[0, 1, 100]])
    Image.fromarray(np.zeros((2, 2), np.uint8)).save(tmp_path / "u8.png")
    with pytest.raises(GroundTruthError, match="16-bit"):
        read_depth(tmp_path / "u8.png")


def test_upstream_protocol_keeps_infinite_depth_at_1mm_default_drops_it():
    gt = np.array([[10.0, 10.0, 20.0, 40.0]])
    pred = np.array([[10.0, np.inf, 20.0, 40.0]])  # a disparity of exactly 0 somewhere
    ours = eigen_score(gt, pred, crop="none")
    assert ours.valid_pixels == 3 and ours.metrics.abs_rel == 0.0
    theirs = eigen_score(gt, pred, crop="none", upstream_protocol=True)
    assert theirs.valid_pixels == 4  # kept, at 1e-3 m (monodepth: inf -> 0 -> clipped to min_depth)
    assert theirs.metrics.abs_rel == pytest.approx((10.0 - 1e-3) / 10.0 / 4)
    pano = panorama_score(gt / 10, pred / 10, median_scaling=False, upstream_protocol=True)
    assert pano.valid_pixels == 4 and pano.metrics.abs_rel == pytest.approx((1.0 - 1e-3) / 4)
    assert panorama_score(gt / 10, pred / 10, median_scaling=False).valid_pixels == 3


def test_upstream_protocol_kitti_negative_disparity_goes_to_1mm_not_the_cap():
    gt = np.full((1, 2), 40.0)
    pred = np.array([[40.0, -1.0]])
    focal = 721.5377
    ours = kitti_stereo_score(gt, pred, focal)
    theirs = kitti_stereo_score(gt, pred, focal, upstream_protocol=True)
    gt_depth = focal * 0.54 / 40.0
    assert ours.metrics.abs_rel == pytest.approx((80.0 - gt_depth) / gt_depth / 2)
    assert theirs.metrics.abs_rel == pytest.approx((gt_depth - 1e-3) / gt_depth / 2)
    zero = kitti_stereo_score(gt, np.array([[40.0, 0.0]]), focal, upstream_protocol=True)  # inf -> the cap
    assert zero.metrics.abs_rel == pytest.approx(ours.metrics.abs_rel)
