"""`evaluate --save-panels`: input | prediction | ground truth, one colour range, grey where no value."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from panoconv.evaluation.evaluate import EvaluateRequest, evaluate
from panoconv.evaluation.panels import GAP, PanelContent, panel_scale, render_panel
from panoconv.inference.outputs import INVALID_RGB, colorize
from panoconv.io.overlap import OutputError
from tests.evaluation.test_evaluate import DISP, make_3d60, make_synth_rectilinear
from tests.inference._fakes import ConstantDepth, ConstantDisparity

H, W = 6, 10


def _content(with_gt: bool = True) -> PanelContent:
    rng = np.random.default_rng(0)
    gt = rng.uniform(1.0, 9.0, (H, W)).astype(np.float32)
    gt[0, :3] = 0.0  # no ground truth there
    return PanelContent(image=rng.uniform(0, 1, (H, W, 3)), pred=rng.uniform(1.0, 9.0, (H, W)),
                        gt=gt if with_gt else None)


def test_three_columns_share_the_ground_truth_range():
    content = _content()
    rgb, scale = render_panel(content)
    assert rgb.shape[1] == 3 * W + 2 * GAP and rgb.shape[0] > H  # colour bar below
    valid = content.gt[content.gt > 0]
    assert (scale.low, scale.high) == pytest.approx(tuple(np.percentile(valid, (2, 98))))
    np.testing.assert_array_equal(rgb[:H, :W], np.rint(content.image * 255).astype(np.uint8))
    np.testing.assert_array_equal(rgb[:H, W + GAP:2 * W + GAP], colorize(content.pred, scale=scale))
    gt_col = rgb[:H, 2 * (W + GAP):]
    assert (gt_col[0, :3] == INVALID_RGB).all() and not (gt_col[1:] == INVALID_RGB).all(axis=-1).any()
    assert (rgb[:H, W:W + GAP] == 255).all()


def test_without_ground_truth_two_columns_on_the_prediction_range():
    content = _content(with_gt=False)
    rgb, scale = render_panel(content)
    assert rgb.shape[1] == 2 * W + GAP
    assert scale == panel_scale(content) and scale.high == pytest.approx(np.percentile(content.pred, 98))


def test_parts_of_other_sizes_are_refused():
    content = _content()
    with pytest.raises(ValueError, match="differ in size"):
        render_panel(PanelContent(content.image[:, :-1], content.pred, content.gt))


def test_evaluate_writes_one_panel_per_image(tmp_path):
    data = make_synth_rectilinear(tmp_path / "syn")
    out = tmp_path / "panels"
    evaluate(EvaluateRequest(weights=(), data=data, kind="synth", models=(ConstantDisparity(DISP),),
                             progress=False, save_panels=out))
    files = sorted(out.iterdir())
    assert [f.name for f in files] == ["00000_000000.png"]
    with Image.open(files[0]) as png:
        rgb, text = np.asarray(png.convert("RGB")), dict(png.text)
    h, w = 24, 48
    assert rgb.shape[1] == 3 * w + 2 * GAP
    # the exact model: prediction and ground truth columns are the same colours (to float32 rounding)
    pred, gt = rgb[:h, w + GAP:2 * w + GAP].astype(int), rgb[:h, 2 * (w + GAP):].astype(int)
    assert np.abs(pred - gt).max() <= 1
    assert text["panoconv:columns"] == "input,prediction,ground truth" and text["panoconv:units"] == "m"


def test_panorama_panel_is_median_scaled_as_scored(tmp_path):
    split = make_3d60(tmp_path / "d")
    out = tmp_path / "panels"
    evaluate(EvaluateRequest(weights=(), data=split, kind="3d60", models=(ConstantDepth(1.0),),
                             progress=False, save_panels=out))
    (panel,) = out.iterdir()
    with Image.open(panel) as png:
        rgb, text = np.asarray(png.convert("RGB")), dict(png.text)
    assert text["panoconv:note"] == "median-scaled x4"
    h, w = 32, 64
    pred, gt = rgb[1:h, w + GAP:2 * w + GAP], rgb[1:h, 2 * (w + GAP):]  # row 0 holds 20 m ground truth
    np.testing.assert_array_equal(pred, gt)


def test_several_models_get_a_folder_each(tmp_path):
    data = make_synth_rectilinear(tmp_path / "syn")
    out = tmp_path / "panels"
    evaluate(EvaluateRequest(weights=(), data=data, kind="synth", progress=False, save_panels=out,
                             models=(ConstantDisparity(DISP), ConstantDisparity(DISP / 2))))
    folders = sorted(p for p in out.iterdir())
    assert [p.name for p in folders] == ["monodepth-vgg", "monodepth-vgg-2"]
    assert all(p.is_dir() and len(list(p.iterdir())) == 1 for p in folders)


def test_panels_inside_the_data_are_refused(tmp_path):
    data = make_synth_rectilinear(tmp_path / "syn")
    with pytest.raises(OutputError, match="panels folder"):
        evaluate(EvaluateRequest(weights=(), data=data, kind="synth", models=(ConstantDisparity(DISP),),
                                 progress=False, save_panels=data / "panels"))
    assert not (data / "panels").exists()
