"""evaluate --kind 3d60 on published split forms: per-data-set rows, --skip-bad, --datasets, CLI errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from panoconv.cli import main
from panoconv.data.threed60 import read_split
from panoconv.evaluation.evaluate import EvaluateRequest, evaluate
from panoconv.evaluation.protocols import GroundTruthError
from panoconv.io.exr import write_depth_exr
from tests.data.threed60_tree import build_form
from tests.inference._fakes import ConstantDepth

#: per data set: a depth map whose per-image abs_rel after median scaling of a constant prediction is known
H, W = 16, 32  # the predict pipeline takes panoramas from 32 px wide
EXPECTED_ABS_REL = {"Matterport3D": 0.0, "Stanford2D3D": (1.0 + 1 / 3) / 2, "SunCG": 0.25}


def _depth_for(dataset: str) -> np.ndarray:
    d = np.full((H, W), 2.0, np.float32)
    if dataset == "Stanford2D3D":  # half 1 m, half 3 m: median 2 m
        d[:, : W // 2], d[:, W // 2:] = 1.0, 3.0
    elif dataset == "SunCG":  # a quarter at 1 m
        d[:, : W // 4] = 1.0
    return d


def make_split(tmp_path, form="v1", per_dataset=2):
    split, order = build_form(tmp_path, form, per_dataset, size=(H, W))
    for row in read_split(split, tmp_path).rows:
        write_depth_exr(row.path("depth"), _depth_for(row.dataset))
    return split, order


def test_per_dataset_rows_beside_the_overall_row(tmp_path):
    split, order = make_split(tmp_path)
    report = evaluate(EvaluateRequest(weights=(), data=split, root=tmp_path, kind="3d60",
                                      models=(ConstantDepth(1.0),), progress=False))
    rows = {r.subset: r for r in report.rows}
    assert list(rows) == ["all", "Matterport3D", "Stanford2D3D", "SunCG"]
    for name, expected in EXPECTED_ABS_REL.items():
        assert rows[name].images == 2 and rows[name].metrics["abs_rel"] == pytest.approx(expected, rel=1e-6)
    assert rows["all"].images == len(order)
    assert rows["all"].metrics["abs_rel"] == pytest.approx(np.mean(list(EXPECTED_ABS_REL.values())), rel=1e-6)
    table = report.to_table().splitlines()
    assert "subset" in table[1] and len(table) == 2 + 4
    payload = json.loads(report.to_json())
    assert [r["subset"] for r in payload["rows"]] == ["all", "Matterport3D", "Stanford2D3D", "SunCG"]


def test_skip_bad_skips_rows_and_unreadable_samples_each_reported(tmp_path, caplog):
    split, order = make_split(tmp_path, "3dv19")
    rows = read_split(split, tmp_path).rows
    rows[1].path("depth").unlink()  # found when the split is read
    rows[4].path("depth").write_bytes(b"not an exr")  # found when the sample is loaded
    with pytest.raises(Exception, match=r"3dv19_test\.txt:2: no such file"):
        evaluate(EvaluateRequest(weights=(), data=split, root=tmp_path, kind="3d60",
                                 models=(ConstantDepth(),), progress=False))
    listing = tmp_path / "skipped.txt"
    report = evaluate(EvaluateRequest(weights=(), data=split, root=tmp_path, kind="3d60", skip_bad=True,
                                      skipped_file=listing, models=(ConstantDepth(),), progress=False))
    overall = report.rows[0]
    assert overall.images == len(order) - 2 and overall.skipped == 1
    assert report.settings["split_rows_skipped"] == 1
    assert "3dv19_test.txt:2" in listing.read_text()
    assert "3dv19_test.txt:5" in caplog.text and "not a readable EXR" in caplog.text
    assert "1 sample(s) skipped" in report.to_table()


def test_datasets_filter(tmp_path):
    split, _ = make_split(tmp_path, "eccv18")
    report = evaluate(EvaluateRequest(weights=(), data=split, root=tmp_path, kind="3d60", datasets=("SunCG",),
                                      models=(ConstantDepth(),), progress=False))
    assert len(report.rows) == 1 and report.rows[0].images == 2
    assert report.rows[0].metrics["abs_rel"] == pytest.approx(EXPECTED_ABS_REL["SunCG"], rel=1e-6)


def test_depth_of_another_size_names_the_row_and_file(tmp_path):
    split, _ = make_split(tmp_path, "caffe", 1)
    row = read_split(split, tmp_path).rows[2]
    write_depth_exr(row.path("depth"), np.ones((H // 2, W), np.float32))
    with pytest.raises(GroundTruthError, match=r"caffe_test\.txt:3 \(.*_depth_0_Left_Down_90\.0\.exr\): "
                                               r"ground truth is 32x8 but the prediction is 32x16"):
        evaluate(EvaluateRequest(weights=(), data=split, root=tmp_path, kind="3d60",
                                 models=(ConstantDepth(),), progress=False))


def _cli(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_cli_skip_bad_datasets_and_bad_input_exit_1_one_line(tmp_path, monkeypatch):
    import panoconv.weights

    weights = tmp_path / "rectnet.safetensors"
    weights.write_bytes(b"")  # the CLI's plumbing is under test: the model is a constant stand-in
    monkeypatch.setattr(panoconv.weights, "load_model", lambda path, architecture=None: ConstantDepth())
    split, _order = make_split(tmp_path, "v1", 1)
    text = split.read_text(encoding="utf-8-sig")
    split.write_text(text + "too few columns\r\n")
    monkeypatch.chdir(tmp_path)
    bad = _cli("evaluate", str(split), "--kind", "3d60", "--root", str(tmp_path), "-w", str(weights))
    assert bad.exit_code == 1 and "Traceback" not in bad.output
    assert bad.output.count("\n") == 1 and "v1_test.txt:4: expected 9 paths" in bad.output
    ok = _cli("-q", "evaluate", str(split), "--kind", "3d60", "--root", str(tmp_path), "-w", str(weights),
              "--skip-bad", "--datasets", "Matterport3D,SunCG", "--json")
    assert ok.exit_code == 0, ok.output
    payload = json.loads(ok.stdout)
    assert [r["subset"] for r in payload["rows"]] == ["all", "Matterport3D", "SunCG"]
    assert (tmp_path / "v1_test.skipped.txt").read_text().count("v1_test.txt:4") == 1


def _bad_layout_exr(path):
    import OpenEXR

    channels = {"G": np.ones((H, W), "f"), "B": np.ones((H, W), "f")}
    with OpenEXR.File({"type": OpenEXR.scanlineimage}, channels) as f:
        f.write(str(path))


@pytest.mark.parametrize("damage, message", [
    ("escape", r"v1_test\.txt:4: '\.\.\\\\\.\.\\\\x_color_0_Left_Down_0\.0\.png' resolves outside the "
               r"data root"),
    ("layout", r"v1_test\.txt:2: .*_depth_0_Left_Down_0\.0\.exr: no depth channel \(R, Y, Z, depth\) among "
               r"channels B, G"),
    ("size", r"v1_test\.txt:3 \(.*_depth_0_Left_Down_0\.0\.exr\): ground truth is 32x8 but the prediction"),
])
def test_cli_bad_input_one_line_naming_file_and_row(tmp_path, monkeypatch, damage, message):
    import panoconv.weights

    monkeypatch.setattr(panoconv.weights, "load_model", lambda path, architecture=None: ConstantDepth())
    split, _ = make_split(tmp_path, "v1", 1)
    rows = read_split(split, tmp_path).rows
    if damage == "escape":
        split.write_text(split.read_text(encoding="utf-8-sig") + "..\\..\\x_color_0_Left_Down_0.0.png "
                         "..\\..\\x_depth_0_Left_Down_0.0.exr\n")
    elif damage == "layout":
        _bad_layout_exr(rows[1].path("depth"))
    else:
        write_depth_exr(rows[2].path("depth"), np.ones((H // 2, W), np.float32))
    weights = tmp_path / "w.safetensors"
    weights.write_bytes(b"")
    result = _cli("evaluate", str(split), "--kind", "3d60", "--root", str(tmp_path), "-w", str(weights))
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    import re

    assert re.search(message, lines[0]), lines[0]
