"""3D60 split parsing, sample loading, masking, statistics, rotation and stereo modes, on tiny own files."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import torch

from panoconv.data.threed60 import COLUMNS, ThreeD60Dataset, ThreeD60Error, read_split
from panoconv.io.exr import write_depth_exr
from panoconv.io.images import save_rgb

H, W = 8, 16


def write_sample(root: Path, folder: str, pose: int, depth: np.ndarray | None = None,
                 size: tuple[int, int] = (H, W)) -> str:
    """Write colour (3 views) + depth (centre) files; return the 9-path split row (normals not written)."""
    h, w = size
    stem = f"{pose}_ed1e790a785e4b74b895e41682b2ae88{pose % 10}"
    tokens = []
    for kind, view in COLUMNS:
        ext = "png" if kind == "color" else "exr"
        rel = f"{folder}/{stem}_{kind}_0_{view}_0.0.{ext}"
        tokens.append(rel)
        (root / folder).mkdir(parents=True, exist_ok=True)
        if kind == "color":
            pixels = np.zeros((h, w, 3), np.uint8)
            pixels[..., 0] = np.arange(w, dtype=np.uint8)[None] * 10  # column index in red
            pixels[..., 1] = {"Left_Down": 0, "Right": 100, "Up": 200}[view]
            save_rgb(root / rel, pixels)
        elif kind == "depth" and view == "Left_Down":
            d = depth if depth is not None else np.tile(np.linspace(1.0, 4.0, w, dtype=np.float32), (h, 1))
            write_depth_exr(root / rel, d)
    return " ".join(tokens)


def write_split(root: Path, rows: list[str], name: str = "train.txt") -> Path:
    path = root / name
    path.write_text("\n".join(rows) + "\n")
    return path


def test_supervised_sample_shapes_values_and_mask(tmp_path):
    depth = np.full((H, W), 2.0, np.float32)
    depth[0, :4] = 0.0  # hole
    depth[1, :3] = 9.0  # beyond 8 m
    split = write_split(tmp_path, [write_sample(tmp_path, "Matterport3D", 1, depth)])
    ds = ThreeD60Dataset(split, size=(H, W))
    s = ds[0]
    assert s["image"].shape == (3, H, W) and s["image"].dtype == torch.float32
    assert s["depth"].shape == (1, H, W) and s["mask"].dtype == torch.bool
    assert int(s["mask"].sum()) == H * W - 7
    assert float(s["depth"][0, 1, 0]) == 9.0 and not bool(s["mask"][0, 1, 0])
    assert s["image"][0, 0].tolist() == pytest.approx([c * 10 / 255 for c in range(W)])
    assert s["index"] == 0


def test_nonfinite_and_negative_depth_masked_counted_logged(tmp_path, caplog):
    depth = np.full((H, W), 3.0, np.float32)
    depth[0, 0], depth[0, 1], depth[0, 2], depth[0, 3] = np.nan, np.inf, -1.0, -np.inf
    split = write_split(tmp_path, [write_sample(tmp_path, "SunCG", 1, depth)])
    ds = ThreeD60Dataset(split, size=(H, W))
    with caplog.at_level(logging.WARNING):
        s = ds[0]
    assert torch.isfinite(s["depth"]).all() and float(s["depth"].min()) == 0.0
    assert int((~s["mask"]).sum()) == 4
    assert ds.stats["SunCG"]["nonfinite_pixels"] == 3
    assert ds.stats["SunCG"]["negative_pixels"] == 1
    assert ds.stats["SunCG"]["images_with_bad_depth"] == 1
    assert "3 NaN/inf and 1 negative" in caplog.text
    assert "nonfinite_pixels=3" in ds.report()


def test_filter_by_dataset_counts_filtered_and_accepts_misspelling(tmp_path, caplog):
    rows = [write_sample(tmp_path, "Matterport3D", 1), write_sample(tmp_path, "Matteport3D", 2),
            write_sample(tmp_path, "Stanford2D3D", 3), write_sample(tmp_path, "SunCG", 4)]
    split = write_split(tmp_path, rows)
    with caplog.at_level(logging.INFO):
        result = read_split(split, datasets=("Matterport3D",))
    assert [r.line for r in result.rows] == [1, 2]
    assert [r.dataset for r in result.rows] == ["Matterport3D", "Matterport3D"]
    assert result.stats["Matterport3D"] == {**result.stats["Matterport3D"], "rows": 2, "misspelled": 1}
    assert result.stats["Stanford2D3D"]["filtered_out"] == 1 and result.stats["SunCG"]["filtered_out"] == 1
    assert "1 misspelt" in caplog.text and "filtered out Stanford2D3D 1, SunCG 1" in caplog.text
    assert len(read_split(split).rows) == 4


def test_missing_file_error_names_row_and_skip_bad(tmp_path):
    rows = [write_sample(tmp_path, "Matterport3D", 1), write_sample(tmp_path, "Matterport3D", 2)]
    split = write_split(tmp_path, rows)
    next(tmp_path.glob("Matterport3D/2_*_depth_0_Left_Down_0.0.exr")).unlink()
    with pytest.raises(ThreeD60Error, match=r"train\.txt:2: .*no such file"):
        read_split(split)
    result = read_split(split, skip_bad=True)
    assert len(result.rows) == 1 and len(result.skipped) == 1 and ":2:" in str(result.skipped[0])
    assert len(read_split(split, mode="stereo").rows) == 2  # stereo does not need depth


def test_malformed_rows_rejected_with_line_number(tmp_path):
    good = write_sample(tmp_path, "Matterport3D", 1)
    tokens = good.split()
    swapped = " ".join([tokens[1], tokens[0]] + tokens[2:])
    split = write_split(tmp_path, ["# comment", good, " ".join(tokens[:8]), swapped])
    with pytest.raises(ThreeD60Error, match=r":3: expected 9 paths"):
        read_split(split)
    result = read_split(split, skip_bad=True)
    assert len(result.rows) == 1 and len(result.skipped) == 2
    assert "Right file where color/Left_Down belongs" in str(result.skipped[1])


def test_empty_split_and_all_filtered_raise(tmp_path):
    with pytest.raises(ThreeD60Error, match="no usable rows"):
        read_split(write_split(tmp_path, ["", "# nothing"], "empty.txt"))
    split = write_split(tmp_path, [write_sample(tmp_path, "SunCG", 1)])
    with pytest.raises(ThreeD60Error, match=r"no usable rows: .* filtered out SunCG 1"):
        read_split(split, datasets=("Stanford2D3D",))
    with pytest.raises(ThreeD60Error, match="no such split file"):
        read_split(tmp_path / "missing.txt")
    with pytest.raises(ThreeD60Error, match="unknown data set"):
        read_split(split, datasets=("Replica",))


def test_other_resolutions_are_resized_to_the_training_size(tmp_path):
    split = write_split(tmp_path, [write_sample(tmp_path, "Matterport3D", 1)])
    s = ThreeD60Dataset(split)[0]  # default: the published 256 x 512
    assert s["image"].shape == (3, 256, 512) and s["depth"].shape == (1, 256, 512)
    assert float(s["depth"][0, 0, 0]) == 1.0 and float(s["depth"][0, 0, -1]) == 4.0  # nearest: metres kept
    assert ThreeD60Dataset(split, size=None)[0]["image"].shape == (3, H, W)
    with pytest.raises(ThreeD60Error, match="size must be positive"):
        ThreeD60Dataset(split, size=(0, 8))


def test_depth_colour_size_mismatch(tmp_path):
    row = write_sample(tmp_path, "Matterport3D", 1)
    write_depth_exr(tmp_path / row.split()[3], np.ones((H, W // 2), np.float32))
    for size in (None, (H, W)):
        with pytest.raises(ThreeD60Error, match=r"train\.txt:1: .*_depth_0_Left_Down_0\.0\.exr \(depth\) is "
                                                r"8x8 \(WxH\) but the row's centre colour image is 16x8"):
            ThreeD60Dataset(write_split(tmp_path, [row]), size=size)[0]


def test_rotation_rolls_all_maps_together_seeded_per_epoch(tmp_path):
    split = write_split(tmp_path, [write_sample(tmp_path, "Matterport3D", i) for i in range(1, 4)])
    plain = ThreeD60Dataset(split, size=(H, W))
    rotated = ThreeD60Dataset(split, size=(H, W), rotate=True, seed=7)
    shifts = [rotated.roll_columns(i, W) for i in range(3)]
    for i, shift in enumerate(shifts):
        a, b = plain[i], rotated[i]
        for key in ("image", "depth", "mask"):
            assert torch.equal(b[key], torch.roll(a[key], shift, dims=-1))
    assert shifts == [ThreeD60Dataset(split, size=(H, W), rotate=True,
                                      seed=7).roll_columns(i, W) for i in range(3)]
    per_epoch = []
    for epoch in range(4):
        rotated.set_epoch(epoch)
        per_epoch.append(rotated.roll_columns(0, W))
    assert len(set(per_epoch)) > 1
    assert plain.roll_columns(0, W) == 0


def test_stereo_modes_return_viewpoints(tmp_path):
    split = write_split(tmp_path, [write_sample(tmp_path, "Stanford2D3D", 1)])
    s = ThreeD60Dataset(split, mode="stereo", size=(H, W))[0]
    assert set(s) == {"left", "right", "index"}
    assert float(s["left"][1].mean()) == 0.0 and float(s["right"][1].mean()) == pytest.approx(100 / 255)
    v = ThreeD60Dataset(split, mode="stereo_vertical", size=(H, W))[0]
    assert set(v) == {"down", "up", "index"} and float(v["up"][1].mean()) == pytest.approx(200 / 255)
    with pytest.raises(ThreeD60Error, match="unknown mode"):
        ThreeD60Dataset(split, mode="trinocular")
    with pytest.raises(ThreeD60Error, match="not valid in horizontal stereo"):
        ThreeD60Dataset(split, mode="stereo", rotate=True)
    rolled = ThreeD60Dataset(split, mode="stereo_vertical", size=(H, W), rotate=True, seed=3)
    shift = rolled.roll_columns(0, W)
    assert torch.equal(rolled[0]["up"], torch.roll(v["up"], shift, dims=-1))


def test_unreadable_file_names_row_or_is_skipped(tmp_path):
    rows = [write_sample(tmp_path, "Matterport3D", 1), write_sample(tmp_path, "Matterport3D", 2)]
    split = write_split(tmp_path, rows)
    (tmp_path / rows[1].split()[3]).write_bytes(b"not an exr")
    with pytest.raises(ThreeD60Error, match=r"train\.txt:2: .*not a readable EXR"):
        ThreeD60Dataset(split, size=(H, W))[1]
    ds = ThreeD60Dataset(split, size=(H, W), skip_bad=True)
    assert ds[1] is None and ds[0] is not None
    assert ds.stats["Matterport3D"]["unreadable"] == 1
