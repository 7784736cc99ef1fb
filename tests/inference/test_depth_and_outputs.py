"""Disparity -> depth conversions, back-projection, PLY contents and colour maps."""

from __future__ import annotations

import math

import numpy as np
import pytest

from panoconv.inference.depth import (
    kitti_focal,
    panorama_depth,
    pinhole_points,
    rectilinear_depth,
    spherical_points,
)
from panoconv.inference.outputs import INVALID_RGB, colorize, read_ply, save_png, write_ply


def test_kitti_depth_from_disparity():
    f, note = kitti_focal(1242)
    assert f == 721.5377 and note is None
    assert rectilinear_depth(np.array([0.1]), 1242, f)[0] == pytest.approx(721.5377 * 0.54 / (0.1 * 1242))
    f2, note2 = kitti_focal(621)
    assert f2 == pytest.approx(721.5377 / 2) and "not a KITTI width" in note2


def test_panorama_radial_depth():
    # r = baseline / (d * 2 pi): d = 0.01 of the width at baseline 0.472 m -> 7.51 m
    assert panorama_depth(np.array([0.01]))[0] == pytest.approx(0.472 / (0.01 * 2 * math.pi))
    assert panorama_depth(np.array([0.01]), baseline=1.0, fov_rad=math.pi)[0] == pytest.approx(100 / math.pi)


def test_spherical_points_directions_and_radius():
    r = np.full((4, 8), 2.0)
    r[0, 0] = np.nan
    pts, idx = spherical_points(r)
    assert len(pts) == 31 and 0 not in idx
    np.testing.assert_allclose(np.linalg.norm(pts, axis=1), 2.0)
    # pixel (row 1, col 4): just above the equator, just right of the image centre -> forward (+z), up (+y)
    p = pts[list(idx).index(1 * 8 + 4)]
    assert p[2] > 1.5 and p[1] > 0 and p[0] > 0


def test_pinhole_points_centre_and_scale():
    depth = np.full((3, 5), 4.0)
    pts, idx = pinhole_points(depth, fx=10.0, fy=10.0, cx=2.5, cy=1.5)
    centre = pts[list(idx).index(1 * 5 + 2)]
    np.testing.assert_allclose(centre, [0.0, 0.0, 4.0])
    corner = pts[0]
    np.testing.assert_allclose(corner, [(0.5 - 2.5) * 0.4, (0.5 - 1.5) * 0.4, 4.0])


def test_ply_roundtrip(tmp_path):
    pts = np.array([[0, 1, 2], [3.5, -4, 5]], np.float32)
    cols = np.array([[255, 0, 0], [0, 128, 255]], np.uint8)
    write_ply(tmp_path / "c.ply", pts, cols)
    raw = (tmp_path / "c.ply").read_bytes()
    assert raw.startswith(b"ply\nformat binary_little_endian 1.0\nelement vertex 2\n")
    data = read_ply(tmp_path / "c.ply")
    np.testing.assert_array_equal(np.stack([data["x"], data["y"], data["z"]], 1), pts)
    np.testing.assert_array_equal(np.stack([data["red"], data["green"], data["blue"]], 1), cols)


def test_colorize_robust_range_and_nan():
    v = np.linspace(0, 1, 100).reshape(10, 10)
    v[0, 0] = 1e6  # one outlier must not wash out the map
    v[9, 9] = np.nan
    rgb = colorize(v)
    assert rgb.dtype == np.uint8 and rgb.shape == (10, 10, 3)
    assert tuple(rgb[9, 9]) == INVALID_RGB  # NaN is grey, not black ("far")
    assert len({tuple(c) for c in rgb.reshape(-1, 3)}) > 50
    assert INVALID_RGB not in {tuple(c) for c in rgb.reshape(-1, 3)[:-1]}
    assert tuple(colorize(v, "gray")[9, 9]) == (255, 0, 255)


def test_png_fixed_range_metadata_and_colorbar(tmp_path):
    from PIL import Image

    v = np.full((32, 64), 0.10)
    v[:4] = np.nan
    v[10, 10] = 0.102  # a 2% spread: with a fixed range it stays almost one colour
    scale = save_png(tmp_path / "a.png", v, value_range=(0.0, 0.3))
    with Image.open(tmp_path / "a.png") as img:
        text, rgb = dict(img.text), np.asarray(img.convert("RGB"))
    assert rgb.shape == (32, 64, 3) and (scale.low, scale.high, scale.source) == (0.0, 0.3, "given")
    assert [float(x) for x in text["panoconv:range"].split()] == [0.0, 0.3]
    assert text["panoconv:quantity"] == "disparity" and text["panoconv:units"] == "fraction of image width"
    assert text["panoconv:invalid_rgb"] == "128,128,128" and (rgb[:4] == 128).all()
    assert np.abs(rgb[10, 10].astype(int) - rgb[20, 20].astype(int)).max() <= 3
    auto = save_png(tmp_path / "b.png", v, with_colorbar=True)
    assert auto.source.startswith("percentiles") and auto.low < auto.high
    with Image.open(tmp_path / "b.png") as img:
        tall = np.asarray(img.convert("RGB"))
    assert tall.shape[0] > 32 and tall.shape[1] == 64
    bar = tall[34]  # the gradient: darkest left, brightest right for magma
    assert bar[:3].astype(int).sum() < bar[-3:].astype(int).sum()


def test_ply_comments_units_and_axes(tmp_path):
    write_ply(tmp_path / "p.ply", np.zeros((2, 3)), None, ["units metres", "axes x right,\n y down"])
    raw = (tmp_path / "p.ply").read_bytes()
    assert b"comment units metres\ncomment axes x right, y down\nelement vertex 2" in raw
    assert len(read_ply(tmp_path / "p.ply")) == 2
