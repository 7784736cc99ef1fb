"""Reprojection of rectilinear pairs to equirect crops: geometry against the synthetic equirect render."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from panoconv.data.reproject import KITTI_FOCAL, ReprojectRequest, equirect_sample_grid, focal_for, reproject
from panoconv.data.synth import SynthRequest, generate
from panoconv.data.synth.cameras import pinhole_focal
from panoconv.errors import PanoconvError


def test_known_point_lands_where_the_projection_says() -> None:
    """The optical axis maps to the crop centre; a ray at lon = 30 deg maps to u = f tan(30 deg)."""
    f, src_h, src_w = 300.0, 200, 400
    col, row, valid = equirect_sample_grid(src_h, src_w, f, 100, 400, 120.0)
    assert valid[50, 200] and col[50, 200] == pytest.approx(src_w / 2 - 0.5)
    assert row[50, 200] == pytest.approx(src_h / 2 - 0.5)
    x30 = 200 + 400 / np.radians(120.0) * np.radians(30.0)
    assert x30 == pytest.approx(300.0)
    assert col[50, 300] == pytest.approx(f * np.tan(np.radians(30.0)) + src_w / 2 - 0.5)
    assert not valid[50, 0]  # lon = -60 deg: u = 300 tan(60 deg) = 520 px > 200 px half-width


def test_focal_lookup() -> None:
    assert focal_for(1242, None) == KITTI_FOCAL[1242]
    assert focal_for(640, 500.0) == 500.0
    with pytest.raises(PanoconvError, match=r"no known focal length for image width 640.*--focal"):
        focal_for(640, None)


def test_reprojected_synthetic_rectilinear_matches_synthetic_equirect(tmp_path: Path) -> None:
    kw = dict(count=1, height=128, width=256, seed=3, progress=False, val_fraction=0, test_fraction=0)
    rect = generate(SynthRequest(out=tmp_path / "rect", kind="rectilinear", **kw))
    equi = generate(SynthRequest(out=tmp_path / "equi", kind="equirect", **kw))
    out = reproject(ReprojectRequest(rect / "train.txt", rect, tmp_path / "re", fov_deg=82.5,
                                     focal=pinhole_focal(256, 82.5), progress=False))
    assert (out / "train.txt").read_text() == "left/000000.png right/000000.png\n"
    assert json.loads((out / "meta.json").read_text())["fov_deg"] == 82.5
    _, _, valid = equirect_sample_grid(128, 256, pinhole_focal(256, 82.5), 128, 256, 82.5)
    assert 0.85 < valid.mean() < 1.0  # the corners of the crop are outside the pinhole image
    inner = np.zeros_like(valid)
    inner[2:-2, 2:-2] = valid[2:-2, 2:-2]
    for side in ("left", "right"):
        got = np.asarray(Image.open(out / f"{side}/000000.png"), np.float32) / 255
        ref = np.asarray(Image.open(equi / f"{side}/000000.png"), np.float32) / 255
        raw = np.asarray(Image.open(rect / f"{side}/000000.png"), np.float32) / 255
        diff = np.abs(got - ref).mean(-1)[inner]
        unwarped = np.abs(raw - ref).mean(-1)[inner].mean()
        # textures alias differently in the two renderings, so the mean error is not ~0; the median is
        assert diff.mean() < 0.06 and diff.mean() < 0.5 * unwarped, (side, diff.mean(), unwarped)
        assert np.median(diff) < 0.02
        assert (got[~valid] == 0).all()


def test_reproject_refuses_unknown_width_without_focal(tmp_path: Path) -> None:
    Image.fromarray(np.zeros((10, 20, 3), np.uint8)).save(tmp_path / "l.png")
    Image.fromarray(np.zeros((10, 20, 3), np.uint8)).save(tmp_path / "r.png")
    (tmp_path / "list.txt").write_text("l.png r.png\n")
    with pytest.raises(PanoconvError, match="width 20"):
        reproject(ReprojectRequest(tmp_path / "list.txt", tmp_path, tmp_path / "out", progress=False))
    assert not (tmp_path / "out").exists()


def test_reprojected_depth_matches_equirect_depth_exactly() -> None:
    """Resampling the pinhole view's radial depth reproduces the equirect render's depth (same scene)."""
    from panoconv.data.reproject import bilinear
    from panoconv.data.synth.cameras import pinhole_rays
    from tests.data.test_synth_geometry import _views

    _, rect = _views("rectilinear", 0, 96, 192)
    _, equi = _views("equirect", 0, 96, 192)
    radial = rect.left.t * np.linalg.norm(pinhole_rays(96, 192, 82.5), axis=-1)
    col, row, valid = equirect_sample_grid(96, 192, pinhole_focal(192, 82.5), 96, 192, 82.5)
    got = bilinear(radial[..., None], col, row, valid)[..., 0]
    rel = np.abs(got - equi.left.t)[valid] / equi.left.t[valid]
    assert np.median(rel) < 1e-3 and (rel < 0.01).mean() > 0.95
