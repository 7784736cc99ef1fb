"""inference/interpret.py: one image's depth, points and metadata come from the same numbers."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from panoconv.arch import get_card
from panoconv.inference import depth as depth_mod
from panoconv.inference.interpret import (
    disparity_to_depth,
    interpretation_of,
    output_metadata,
    ply_comments,
    point_cloud,
)
from panoconv.inference.layout import PanoramaLayout
from panoconv.inference.pipeline import make_plan

CARD = get_card("monodepth-vgg")


def test_defaults_per_camera():
    rect = interpretation_of(make_plan(375, 1242, "rectilinear", CARD), depth_convention="upstream")
    assert rect.convention == "rectilinear"  # a panorama convention does not apply to a photo
    assert rect.baseline == depth_mod.KITTI_BASELINE and rect.focal == depth_mod.kitti_focal(1242)[0]
    pano = interpretation_of(make_plan(512, 1024, "equirectangular", CARD), focal=700.0)
    assert (pano.convention, pano.baseline, pano.focal) == ("geometric", depth_mod.PANORAMA_BASELINE, None)
    given = interpretation_of(make_plan(256, 512, "rectilinear", CARD), baseline=0.3, focal=400.0)
    assert (given.baseline, given.focal) == (0.3, 400.0)


def test_rectilinear_depth_points_and_words_agree():
    it = interpretation_of(make_plan(64, 128, "rectilinear", CARD), baseline=0.5, focal=100.0)
    disp = np.full((64, 128), 0.05, np.float32)  # 0.05 W = 6.4 px -> Z = f B / d_px = 100 * 0.5 / 6.4
    depth = disparity_to_depth(disp, it)
    assert depth == pytest.approx(np.full_like(disp, 100.0 * 0.5 / 6.4), rel=1e-6)
    image = np.random.default_rng(0).random((64, 128, 3), np.float32)
    points, colors = point_cloud(depth, image, it, PanoramaLayout())
    assert points.shape == colors.shape == (64 * 128, 3)
    assert np.allclose(points[:, 2], 100.0 * 0.5 / 6.4)  # z forward is the depth
    comments = ply_comments(Path("a/img.png"), CARD, it)
    assert comments[0] == "source img.png" and "focal 100 px at width 128" in comments[3]
    assert "baseline 0.5 m" in comments[5]
    meta = output_metadata(Path("a/img.png"), CARD, it, PanoramaLayout(), output_shape=depth.shape,
                           files={"depth": "img_depth.npy"})
    assert meta["focal_px"] == 100.0 and meta["baseline_m"] == 0.5 and meta["output_size"] == [64, 128]
    assert meta["outputs"] == {"depth": {"file": "img_depth.npy", "holds": "metric depth (m), rectilinear"}}


def test_panorama_conventions_and_sphere():
    plan = make_plan(256, 512, "equirectangular", CARD)
    disp = np.full((256, 512), 0.01, np.float32)
    geometric = interpretation_of(plan, baseline=0.26)
    upstream = interpretation_of(plan, baseline=0.26, depth_convention="upstream")
    assert np.array_equal(disparity_to_depth(disp, geometric), depth_mod.panorama_depth(disp, 0.26))
    net_width = plan.panorama.net_width
    assert np.array_equal(disparity_to_depth(disp, upstream),
                          depth_mod.panorama_depth_upstream(disp, 512, net_width, 0.26))
    meta = output_metadata(Path("p.jpg"), CARD, upstream, PanoramaLayout(), output_shape=(256, 512),
                           files={"ply": "p.ply"})
    assert "focal_px" not in meta and meta["depth_convention"] == "upstream"
    assert meta["outputs"]["ply"]["holds"] == "points (m) from depth, upstream"
    points, _ = point_cloud(np.ones((256, 512), np.float32), np.zeros((256, 512, 3), np.float32), geometric,
                            PanoramaLayout())
    assert np.allclose(np.linalg.norm(points, axis=1), 1.0)  # radial distance along each ray
    assert points[:, 1].max() == pytest.approx(math.cos(math.pi / 512), abs=1e-3)  # top row near the pole
