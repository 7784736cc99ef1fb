"""The synthetic stereo views agree with the ground-truth depth (the property stereo losses rely on)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from panoconv.data.synth.cameras import equirect_rays, pinhole_focal
from panoconv.data.synth.request import SynthRequest
from panoconv.data.synth.views import camera_rays, make_scene, render_views
from tests.data.geometry_helpers import equirect_project, photometric_check


def _views(kind: str, index: int, h: int, w: int):
    req = SynthRequest(out=Path("unused"), kind=kind, height=h, width=w, seed=11).resolved()
    return req, render_views(req, make_scene(req, index), camera_rays(req))


@pytest.mark.parametrize("index", [0, 1])
def test_rectilinear_right_view_warps_onto_left_with_gt_disparity(index: int) -> None:
    req, v = _views("rectilinear", index, 128, 256)
    z = v.left.t
    assert z.min() > 0.5 and z.max() <= 80.0 and z.max() > 20.0  # street-like range
    disp_px = pinhole_focal(req.width, req.fov_deg) * req.baseline / z  # = d * W with d = f B / (Z W)
    row, col = np.mgrid[0:req.height, 0:req.width].astype(np.float64)
    err, visible, base = photometric_check(v.left.image, z, v.right.image, v.right.t, col - disp_px, row, z)
    assert visible > 0.8
    assert err < 0.03 and err < 0.3 * base, (err, base)


@pytest.mark.parametrize("view", ["right", "up"])
def test_panorama_views_agree_with_reprojected_3d_points(view: str) -> None:
    req, v = _views("panorama", 0, 128, 256)
    r = v.left.t
    assert r.max() <= 8.0 and r.min() > 0.1  # indoor range
    points = equirect_rays(req.height, req.width, 360.0) * r[..., None]
    shift = np.array([req.baseline, 0, 0]) if view == "right" else np.array([0, -req.baseline, 0])
    q = points - shift
    x, y = equirect_project(q, req.width, 360.0)
    other = v.right if view == "right" else v.up
    err, visible, base = photometric_check(v.left.image, r, other.image, other.t, x, y + req.height / 2,
                                           np.linalg.norm(q, axis=-1), wrap=True)
    assert visible > 0.8
    assert err < 0.03 and err < 0.3 * base, (err, base)


def test_equirect_crop_views_agree_with_reprojected_3d_points() -> None:
    req, v = _views("equirect", 0, 128, 256)
    r = v.left.t
    points = equirect_rays(req.height, req.width, req.fov_deg) * r[..., None]
    q = points - np.array([req.baseline, 0, 0])
    x, y = equirect_project(q, req.width, req.fov_deg)
    err, visible, base = photometric_check(v.left.image, r, v.right.image, v.right.t, x, y + req.height / 2,
                                           np.linalg.norm(q, axis=-1))
    assert visible > 0.8
    assert err < 0.03 and err < 0.3 * base, (err, base)


def test_rectilinear_and_equirect_centre_pixels_see_the_same_point() -> None:
    """Same seed -> same scene for both street kinds; the optical-axis ray hits the same depth."""
    _, rect = _views("rectilinear", 0, 64, 128)
    _, equi = _views("equirect", 0, 64, 128)
    # equirect pixel (32, 64) is exactly lon = lat = 0; in the pinhole image it is the 4-pixel centre
    z_centre = rect.left.t[31:33, 63:65].mean()
    assert abs(equi.left.t[32, 64] - z_centre) < 0.05 * z_centre
