"""3D60 split files as published (v1, 3dv19, eccv18 pytorch_test, caffe_test), all three data sets: every row
read, every bad row reported with its line, paths outside the data root refused."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from panoconv.data.threed60 import ThreeD60Dataset, ThreeD60Error, read_split
from panoconv.data.threed60_paths import parse_datasets, parse_token, path_parts
from tests.data.threed60_tree import DATASETS, FORMS, H, W, build_form, depth_of, row_tokens

PER_DATASET = 4  # 12 rows per form


@pytest.mark.parametrize("form", FORMS)
def test_every_row_of_every_published_form_is_read(tmp_path, form, caplog):
    split, order = build_form(tmp_path, form, PER_DATASET)
    with caplog.at_level(logging.INFO):
        result = read_split(split, tmp_path)
    assert len(order) == 3 * PER_DATASET and len(result.rows) == len(order)  # 100 % of rows
    assert [r.dataset for r in result.rows] == order
    assert [r.line for r in result.rows] == list(range(1, len(order) + 1))
    assert not result.skipped
    for name in DATASETS:
        assert result.stats[name]["rows"] == PER_DATASET
    for row in result.rows:
        assert row.path("color").is_file() and row.path("depth").is_file()
        assert row.path("color").is_relative_to(tmp_path)
    n = PER_DATASET
    summary = f"read {len(order)} rows (Matterport3D {n}, Stanford2D3D {n}, SunCG {n})"
    assert summary in caplog.text
    if form == "eccv18":
        assert result.stats["Matterport3D"]["misspelled"] == PER_DATASET
    if form == "caffe":
        assert result.stats["Stanford2D3D"]["alias"] == PER_DATASET


@pytest.mark.parametrize("form", FORMS)
def test_samples_load_with_their_own_depth(tmp_path, form):
    split, order = build_form(tmp_path, form, 2)
    ds = ThreeD60Dataset(split, tmp_path, size=(H, W))
    for i, name in enumerate(order):
        sample = ds[i]
        assert sample["image"].shape == (3, H, W)
        assert float(sample["depth"].mean()) == pytest.approx(depth_of(name, i // 3), rel=1e-6)
        assert bool(sample["mask"].all())


def test_nine_column_forms_support_stereo_and_two_column_rows_do_not(tmp_path):
    split, _ = build_form(tmp_path / "a", "3dv19", 1)
    s = ThreeD60Dataset(split, tmp_path / "a", mode="stereo", size=(H, W))[0]
    assert float(s["right"][1].mean()) == pytest.approx(100 / 255)
    caffe, _ = build_form(tmp_path / "b", "caffe", 1)
    with pytest.raises(ThreeD60Error, match=r"caffe_test\.txt:1: a 2-column row has no color/Right file"):
        read_split(caffe, tmp_path / "b", mode="stereo")


def test_misspelt_folder_on_disk_as_written_is_used(tmp_path):
    split, _ = build_form(tmp_path, "eccv18", 1)
    (tmp_path / "Matterport3D").rename(tmp_path / "Matteport3D")  # someone kept the published spelling
    rows = read_split(split, tmp_path).rows
    assert rows[0].path("color").parent.name == "Matteport3D" and rows[0].dataset == "Matterport3D"


def test_missing_file_reported_with_line_number_and_skip_bad_lists_all(tmp_path, caplog):
    split, order = build_form(tmp_path, "v1", PER_DATASET)
    for line in (2, 5, 9):  # Stanford2D3D, Stanford2D3D, SunCG rows
        token = split.read_text(encoding="utf-8-sig").splitlines()[line - 1].split()[3]  # centre depth
        target = parse_token(token, tmp_path).existing()
        target.unlink()
    with pytest.raises(ThreeD60Error, match=r"v1_test\.txt:2: no such file: .*_depth_0_Left_Down_0\.0\.exr "
                                            r"\(3 bad rows in all\); pass --skip-bad"):
        read_split(split, tmp_path)
    listing = tmp_path / "out" / "skipped.txt"
    with caplog.at_level(logging.INFO):
        result = read_split(split, tmp_path, skip_bad=True, skipped_file=listing)
    assert len(result.rows) == len(order) - 3 and [s.line for s in result.skipped] == [2, 5, 9]
    assert result.stats["Stanford2D3D"]["skipped"] == 2 and result.stats["SunCG"]["skipped"] == 1
    assert f"read {len(order) - 3} rows" in caplog.text and "skipped 3 (missing-file 3)" in caplog.text
    assert "v1_test.txt:5: no such file" in caplog.text and str(listing) in caplog.text
    lines = listing.read_text().splitlines()[1:]
    assert [ln.split("\t")[0].rsplit(":", 1)[1] for ln in lines] == ["2", "5", "9"]
    assert all(ln.split("\t")[1] == "missing-file" for ln in lines)


def test_skip_bad_log_shows_the_first_few_and_the_file_has_all(tmp_path, caplog):
    split, order = build_form(tmp_path, "3dv19", 4)
    text = split.read_text()
    split.write_text(text + "".join(f"bad row {i}\n" for i in range(8)))
    listing = tmp_path / "skipped.txt"
    with caplog.at_level(logging.WARNING):
        result = read_split(split, tmp_path, skip_bad=True, skipped_file=listing)
    assert len(result.rows) == len(order) and len(result.skipped) == 8
    assert caplog.text.count("  skipped ") == 5 and "... 3 more" in caplog.text
    assert len(listing.read_text().splitlines()) == 1 + 8


def test_datasets_filter_counts_and_skips_lookup_of_filtered_rows(tmp_path):
    split, order = build_form(tmp_path, "3dv19", 2)
    import shutil

    shutil.rmtree(tmp_path / "SunCG")  # a partial download: SunCG not there, filtered out anyway
    result = read_split(split, tmp_path, datasets=("Matterport3D", "Stanford2D3D"))
    assert [r.dataset for r in result.rows] == [d for d in order if d != "SunCG"]
    assert result.stats["SunCG"]["filtered_out"] == 2 and not result.skipped
    assert "filtered out SunCG 2" in result.summary()
    assert parse_datasets("matterport3d, Stanford,SunCG") == DATASETS
    with pytest.raises(Exception, match="unknown data set 'Replica'"):
        parse_datasets("Replica")


@pytest.mark.parametrize("token", ["..\\..\\etc\\passwd_color_0_Left_Down_0.0.png",
                                   "/Matterport3D/../../secret/1_ab1_color_0_Left_Down_0.0.png",
                                   "D:\\Data\\3D60\\SunCG\\..\\..\\x\\a1_color_0_Left_Down_0.0.png"])
def test_path_escaping_the_root_is_refused(tmp_path, token):
    split, _ = build_form(tmp_path, "caffe", 1)
    depth = token.replace("color", "depth").replace(".png", ".exr")
    split.write_text(split.read_text() + f"{token} {depth}\n")
    with pytest.raises(ThreeD60Error, match=r"caffe_test\.txt:4: .* resolves outside the data root"):
        read_split(split, tmp_path)
    result = read_split(split, tmp_path, skip_bad=True)
    assert result.skipped[0].reason == "outside-root" and len(result.rows) == 3


def test_malformed_rows_name_the_line_and_the_problem(tmp_path):
    split, _ = build_form(tmp_path, "eccv18", 1)
    good = row_tokens("eccv18", "SunCG", 0)
    other = row_tokens("eccv18", "Matterport3D", 0)
    bad = [" ".join(good[:5]),  # too few columns
           " ".join([good[1]] + [good[0]] + good[2:]),  # columns swapped
           " ".join(good[:3] + other[3:]),  # two samples in one row
           " ".join(good[:2] + ["x.png"] + good[3:])]  # not a 3D60 name
    split.write_text(split.read_text() + "\n".join(bad) + "\n")
    with pytest.raises(ThreeD60Error, match=r":4: expected 9 paths .* or 2 .*, got 5"):
        read_split(split, tmp_path)
    result = read_split(split, tmp_path, skip_bad=True)
    messages = [s.message for s in result.skipped]
    assert [s.line for s in result.skipped] == [4, 5, 6, 7]
    assert all(s.reason == "malformed" for s in result.skipped)
    assert "Right file where color/Left_Down belongs" in messages[1]
    assert "belongs to another sample" in messages[2] and "does not follow" in messages[3]


def test_path_parts_and_token_forms(tmp_path):
    assert path_parts("D:\\Data\\3D60\\.\\SunCG\\a.png") == ["Data", "3D60", "SunCG", "a.png"]
    assert path_parts("./Matterport3D//x.png") == ["Matterport3D", "x.png"]
    t = parse_token("D:\\Data\\3D60\\Stanford2D3D\\area5a\\0_area_5a1_color_0_Left_Down_0.0.png", tmp_path)
    assert t.candidates == (tmp_path / "Stanford2D3D" / "area5a" / "0_area_5a1_color_0_Left_Down_0.0.png",)
    assert (t.dataset, t.stem, t.angle) == ("Stanford2D3D", "0_area_5a1", "0.0")
    s = parse_token("SunCG\\004e36a61e574321adc8da7b48c331f21_depth_0_Up_0.0.exr", tmp_path)
    assert (s.dataset, s.stem) == ("SunCG", "004e36a61e574321adc8da7b48c331f21")
    assert (s.kind, s.view) == ("depth", "Up")
    c = parse_token("/Stanford/area3/33_area_31_color_0_Left_Down_90.0.png", tmp_path)
    assert c.candidates[1] == tmp_path / "Stanford2D3D" / "area3" / "33_area_31_color_0_Left_Down_90.0.png"
    assert c.variant == "alias" and c.angle == "90.0"


def test_encoding_errors_and_oversized_split(tmp_path, monkeypatch):
    (tmp_path / "bin.txt").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ThreeD60Error, match=r"bin\.txt: not a UTF-8 text file"):
        read_split(tmp_path / "bin.txt", tmp_path)
    import panoconv.data.threed60_split as mod

    monkeypatch.setattr(mod, "MAX_SPLIT_BYTES", 10)
    (tmp_path / "big.txt").write_text("x" * 11)
    with pytest.raises(ThreeD60Error, match="too large for a split file"):
        read_split(tmp_path / "big.txt", tmp_path)
    with pytest.raises(ThreeD60Error, match="data root is not a folder"):
        read_split(tmp_path / "big.txt", tmp_path / "nope")


def test_resize_to_training_size_area_for_colour_nearest_for_depth(tmp_path):
    split, _ = build_form(tmp_path, "3dv19", 1)
    row = read_split(split, tmp_path).rows[0]
    depth = np.full((H, W), 2.0, np.float32)
    depth[:, 1::2] = 0.0  # every other column a hole: any blending would create depths of 1 m
    from panoconv.io.exr import write_depth_exr

    write_depth_exr(row.path("depth"), depth)
    s = ThreeD60Dataset(split, tmp_path, size=(H // 2, W // 2))[0]
    assert s["image"].shape == (3, H // 2, W // 2) and s["depth"].shape == (1, H // 2, W // 2)
    assert set(torch.unique(s["depth"]).tolist()) <= {0.0, 2.0}  # metres unchanged, never blended
    assert torch.equal(s["mask"], s["depth"] > 0)
    full = ThreeD60Dataset(split, tmp_path, size=None)[0]["image"]
    expected = full.reshape(3, H // 2, 2, W // 2, 2).mean(dim=(2, 4))  # area = 2x2 average here
    torch.testing.assert_close(s["image"], expected, rtol=1e-6, atol=1e-6)
