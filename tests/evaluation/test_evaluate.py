"""`evaluate` end to end on hand-made synthetic / 3D60-style data, with disparity and depth models."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from panoconv.evaluation.evaluate import EvaluateRequest, evaluate
from panoconv.evaluation.protocols import GroundTruthError
from panoconv.io.exr import write_depth_exr
from panoconv.io.images import save_rgb
from tests.inference._fakes import ConstantDepth, ConstantDisparity

FOCAL, BASELINE, DISP = 100.0, 0.5, 0.05


def make_synth_rectilinear(root: Path, gt_shape=(24, 48)) -> Path:
    (root / "depth").mkdir(parents=True)
    h, w = 24, 48
    save_rgb(root / "left" / "000000.png", np.full((h, w, 3), 0.5))
    # a model predicting DISP everywhere is exactly right: depth = f B / (d W)
    np.save(root / "depth" / "000000.npy", np.full(gt_shape, FOCAL * BASELINE / (DISP * w), np.float32))
    (root / "test.txt").write_text("left/000000.png right/000000.png\n")
    (root / "meta.json").write_text(json.dumps({"kind": "rectilinear", "focal_px": FOCAL,
                                                "baseline_m": BASELINE}))
    return root


def make_3d60(root: Path) -> Path:
    folder = root / "Matterport3D"
    folder.mkdir(parents=True)
    stem = "0_0123456789abcdef0123456789abcdef1"
    names = [f"Matterport3D/{stem}_{k}_0_{v}_0.0.{'png' if k == 'color' else 'exr'}"
             for k in ("color", "depth", "normal") for v in ("Left_Down", "Right", "Up")]
    save_rgb(root / names[0], np.full((32, 64, 3), 0.5))
    depth = np.full((32, 64), 4.0, np.float32)
    depth[0] = 20.0  # beyond the 8 m cap: ignored
    write_depth_exr(root / names[3], depth)
    (root / "test.txt").write_text(" ".join(names) + "\n")
    return root / "test.txt"


def test_synth_rectilinear_perfect_disparity_model(tmp_path):
    data = make_synth_rectilinear(tmp_path / "syn")
    report = evaluate(EvaluateRequest(weights=(), data=data, kind="synth", models=(ConstantDisparity(DISP),),
                                      progress=False))
    row = report.rows[0]
    assert row.images == 1 and row.metrics["abs_rel"] == pytest.approx(0, abs=1e-5) and row.metrics["a1"] == 1
    assert report.settings["crop"] == "none" and report.settings["median_scaling"] is False


def test_side_by_side_rows(tmp_path):
    data = make_synth_rectilinear(tmp_path / "syn")
    report = evaluate(EvaluateRequest(weights=(), data=data, kind="synth", progress=False,
                                      models=(ConstantDisparity(DISP), ConstantDisparity(DISP / 2))))
    assert len(report.rows) == 2
    assert report.rows[1].metrics["abs_rel"] == pytest.approx(1.0, rel=1e-4)  # twice as far
    table = report.to_table().splitlines()
    assert len(table) == 4 and "abs_rel" in table[1]
    assert json.loads(report.to_json())["rows"][1]["abs_rel"] == pytest.approx(1.0, rel=1e-4)


def test_3d60_depth_model_with_median_scaling(tmp_path):
    split = make_3d60(tmp_path / "d")
    report = evaluate(EvaluateRequest(weights=(), data=split, kind="3d60", models=(ConstantDepth(1.0),),
                                      progress=False))
    row = report.rows[0]
    assert row.arch == "rectnet" and row.metrics["abs_rel"] == pytest.approx(0, abs=1e-6)


def test_3d60_monodepth_uses_band_only(tmp_path):
    split = make_3d60(tmp_path / "d")
    report = evaluate(EvaluateRequest(weights=(), data=split, kind="3d60", models=(ConstantDisparity(0.02),),
                                      progress=False))
    assert report.settings["median_scaling"] is True
    assert report.rows[0].metrics["abs_rel"] == pytest.approx(0, abs=1e-6)


def test_wrong_size_ground_truth(tmp_path):
    data = make_synth_rectilinear(tmp_path / "syn", gt_shape=(12, 48))
    with pytest.raises(GroundTruthError, match="must match the input image size"):
        evaluate(EvaluateRequest(weights=(), data=data, kind="synth", models=(ConstantDisparity(),),
                                 progress=False))


def test_eigen_list_with_png16_gt(tmp_path):
    from PIL import Image

    h, w = 30, 60
    save_rgb(tmp_path / "img.png", np.full((h, w, 3), 0.5))
    depth_m = 721.5377 * (w / 1242) * 0.54 / (DISP * w)  # focal scaled for a non-KITTI width
    Image.fromarray(np.full((h, w), round(depth_m * 256), np.uint16)).save(tmp_path / "gt.png")
    (tmp_path / "list.txt").write_text("img.png gt.png\n")
    report = evaluate(EvaluateRequest(weights=(), data=tmp_path / "list.txt", kind="eigen",
                                      models=(ConstantDisparity(DISP),), progress=False))
    assert report.settings["crop"] == "garg"
    assert report.rows[0].metrics["abs_rel"] < 1e-3
    assert math.isfinite(report.rows[0].metrics["rmse"])


def test_kitti_stereo_layout_with_d1(tmp_path):
    from PIL import Image

    h, w = 20, 60
    save_rgb(tmp_path / "training" / "image_2" / "000000_10.png", np.full((h, w, 3), 0.5))
    gt = np.zeros((h, w), np.uint16)
    gt[5:] = round(DISP * w * 256)  # 3 px, stored as value * 256
    (tmp_path / "training" / "disp_noc_0").mkdir(parents=True)
    Image.fromarray(gt).save(tmp_path / "training" / "disp_noc_0" / "000000_10.png")
    report = evaluate(EvaluateRequest(weights=(), data=tmp_path, kind="kitti-stereo",
                                      models=(ConstantDisparity(DISP),), progress=False))
    row = report.rows[0]
    assert row.metrics["d1_all"] == 0.0 and row.metrics["abs_rel"] == pytest.approx(0, abs=1e-5)
    assert "d1_all" in report.to_table()


def test_d1_all_printed_in_percent_with_its_unit(tmp_path):
    from PIL import Image

    h, w = 20, 60
    save_rgb(tmp_path / "training" / "image_2" / "000000_10.png", np.full((h, w, 3), 0.5))
    gt = np.zeros((h, w), np.uint16)
    gt[:10] = round(DISP * w * 256)  # right: 3 px
    gt[10:] = round(4 * DISP * w * 256)  # 12 px where 3 px are predicted: all outliers
    (tmp_path / "training" / "disp_noc_0").mkdir(parents=True)
    Image.fromarray(gt).save(tmp_path / "training" / "disp_noc_0" / "000000_10.png")
    report = evaluate(EvaluateRequest(weights=(), data=tmp_path, kind="kitti-stereo",
                                      models=(ConstantDisparity(DISP),), progress=False))
    assert report.rows[0].metrics["d1_all"] == pytest.approx(0.5)
    header, values = report.to_table().splitlines()[1:3]
    assert header.split()[-1] == "d1_all%" and values.split()[-1] == "50.000"
    row = json.loads(report.to_json())["rows"][0]
    assert row["d1_all"] == pytest.approx(0.5) and row["d1_all_percent"] == pytest.approx(50.0)


def test_upstream_protocol_keeps_zero_disparity_pixels(tmp_path):
    from tests.inference._fakes import ConstantDisparity as Const

    data = make_synth_rectilinear(tmp_path / "syn")
    default = evaluate(EvaluateRequest(weights=(), data=data, kind="synth", models=(Const(0.0),),
                                       progress=False))
    upstream = evaluate(EvaluateRequest(weights=(), data=data, kind="synth", models=(Const(0.0),),
                                        progress=False, upstream_protocol=True))
    # disparity 0: default caps the depth at 80 m; upstream's inf -> 0 -> 1e-3 m
    assert default.rows[0].metrics["abs_rel"] == pytest.approx((80.0 - 20.833333) / 20.833333, rel=1e-4)
    assert upstream.rows[0].metrics["abs_rel"] == pytest.approx((20.833333 - 1e-3) / 20.833333, rel=1e-4)
    assert upstream.settings["protocol"] == "upstream" and default.settings["protocol"] == "panoconv"


class _StereoProbe(ConstantDisparity):
    """A stereo card's stand-in: predicts DISP only if it is given the right image on channels 3..5."""

    arch_name = "monodepth-vgg-stereo"

    def forward(self, x):
        assert x.shape[1] == 6
        left, right = x[:, :3].mean(), x[:, 3:].mean()
        b, _, h, w = x.shape
        return [(self.value * (right < left)).expand(b, 2, h, w).clone()]


def test_stereo_model_gets_the_right_image(tmp_path):
    data = make_synth_rectilinear(tmp_path / "syn")
    save_rgb(data / "right" / "000000.png", np.full((24, 48, 3), 0.25))  # darker than the left (0.5)
    report = evaluate(EvaluateRequest(weights=(), data=data, kind="synth", models=(_StereoProbe(DISP),),
                                      postprocess=False, progress=False))
    assert report.rows[0].arch == "monodepth-vgg-stereo"
    assert report.rows[0].metrics["abs_rel"] == pytest.approx(0, abs=1e-5)


def test_stereo_model_without_right_images_is_refused(tmp_path):
    from panoconv.errors import PanoconvError

    data = make_synth_rectilinear(tmp_path / "syn")
    (data / "test.txt").write_text("left/000000.png\n")
    with pytest.raises(PanoconvError, match="stereo network but synth-rectilinear/test gives no right image"):
        evaluate(EvaluateRequest(weights=(), data=data, kind="synth", models=(_StereoProbe(DISP),),
                                 progress=False))


def test_resample_upstream_reaches_the_network(tmp_path):
    """`evaluate --resample upstream` feeds the network upstream's 8-bit Pillow resize of the image."""
    from PIL import Image

    from panoconv.inference.layout import PanoramaLayout
    from tests.inference.test_resample_upstream import RecordInput, make_panorama

    data = make_synth_rectilinear(tmp_path / "synth")
    pixels = make_panorama(24, 48)
    Image.fromarray(pixels).save(data / "left" / "000000.png")
    model = RecordInput(DISP)
    evaluate(EvaluateRequest(weights=(), data=data, kind="synth", models=(model,), progress=False,
                             postprocess=False, layout=PanoramaLayout(resample="upstream")))
    expected = np.asarray(Image.fromarray(pixels).resize((512, 256),
                                                         Image.Resampling.LANCZOS)) / np.float32(255)
    np.testing.assert_array_equal(model.seen[0].permute(1, 2, 0).numpy(), expected.astype(np.float32))
