"""`generate` output: file-list and 3D60 layouts, meta.json, determinism, atomic refusal of existing OUT."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from panoconv.data.filelist import read_pair_list
from panoconv.data.synth import SynthRequest, generate
from panoconv.errors import OutputExistsError, PanoconvError
from panoconv.io.exr import read_depth_exr

NAME_3D60 = re.compile(r"^Matterport3D/(\d+)_([0-9a-f]{32})(\d+)_(color|depth|normal)_0_"
                       r"(Left_Down|Right|Up)_0\.0\.(png|exr)$")


def test_rectilinear_layout_and_meta(synth_rect: Path) -> None:
    meta = json.loads((synth_rect / "meta.json").read_text())
    assert meta["kind"] == "rectilinear" and (meta["height"], meta["width"]) == (64, 128)
    assert meta["splits"] == {"train": 2, "val": 1, "test": 1} and meta["baseline_m"] == 0.54
    assert meta["focal_px"] == pytest.approx(64 / np.tan(np.radians(82.5 / 2)))
    assert (synth_rect / "train.txt").read_text().splitlines() == ["left/000000.png right/000000.png",
                                                                   "left/000001.png right/000001.png"]
    for split in ("train", "val", "test"):
        assert read_pair_list(synth_rect / f"{split}.txt", synth_rect).entries
    depth = np.load(synth_rect / "depth/000003.npy")
    assert depth.shape == (64, 128) and depth.dtype == np.float32 and depth.min() > 0 and depth.max() <= 80
    assert Image.open(synth_rect / "left/000003.png").size == (128, 64)
    assert not list(synth_rect.parent.glob(".*"))  # no temporary leftovers


def test_panorama_3d60_layout(synth_pano: Path) -> None:
    meta = json.loads((synth_pano / "meta.json").read_text())
    assert meta["kind"] == "panorama" and meta["fov_deg"] == 360.0 and meta["baseline_m"] == 0.26
    rows = (synth_pano / "3d60_train.txt").read_text().splitlines()
    assert len(rows) == 1
    for row in rows + (synth_pano / "3d60_test.txt").read_text().splitlines():
        paths = row.split()
        assert len(paths) == 9
        parts = [NAME_3D60.match(p) for p in paths]
        assert all(parts), paths
        assert [(m[4], m[5]) for m in parts] == [(k, v) for k in ("color", "depth", "normal")
                                                 for v in ("Left_Down", "Right", "Up")]
        assert len({(m[1], m[2], m[3]) for m in parts}) == 1  # one pose of one scene per row
        assert all((synth_pano / p).is_file() for p in paths)
        depth = read_depth_exr(synth_pano / paths[3])
        assert depth.shape == (64, 128) and depth.min() > 0.1 and depth.max() <= 8.0
        assert Image.open(synth_pano / paths[0]).size == (128, 64)
    pair = (synth_pano / "train.txt").read_text().split()
    assert pair == rows[0].split()[:2]  # `left right` = centre and Right colour


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    kw = dict(kind="rectilinear", count=2, height=32, width=64, progress=False)
    a = generate(SynthRequest(out=tmp_path / "a", seed=5, **kw))
    b = generate(SynthRequest(out=tmp_path / "b", seed=5, **kw))
    c = generate(SynthRequest(out=tmp_path / "c", seed=6, **kw))
    for name in ("left/000001.png", "right/000001.png", "depth/000001.npy"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
        assert (a / name).read_bytes() != (c / name).read_bytes()
    meta = json.loads((a / "meta.json").read_text())
    assert meta["seed"] == 5 and meta["generator_version"]


def test_refuses_existing_output_unless_force(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    req = SynthRequest(out=out, count=1, height=16, width=32, progress=False)
    with pytest.raises(OutputExistsError):
        generate(req)
    assert (out / "keep.txt").exists()
    generate(SynthRequest(out=out, count=1, height=16, width=32, progress=False, force=True))
    assert not (out / "keep.txt").exists() and (out / "meta.json").exists()


@pytest.mark.parametrize("kw, message", [
    (dict(count=0), "--count"), (dict(kind="fisheye"), "unknown kind"), (dict(baseline=-1.0), "--baseline"),
    (dict(kind="panorama", fov_deg=90.0), "always 360"), (dict(fov_deg=200.0), "--fov"),
    (dict(kind="panorama", height=100, width=300), "width = 2 x height"),
])
def test_bad_requests_are_user_errors(tmp_path: Path, kw, message) -> None:
    with pytest.raises(PanoconvError, match=message):
        generate(SynthRequest(out=tmp_path / "x", progress=False, **kw))
    assert not (tmp_path / "x").exists()
