"""Stereo cards predict from left/right pairs (--pair, `left right` lists); a single image is one line."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from panoconv.arch import get_card
from panoconv.cli import main
from panoconv.errors import InputShapeError
from panoconv.inference import predict_array
from panoconv.io.images import save_rgb
from panoconv.weights import load_model, save_weights


@pytest.fixture(scope="module")
def stereo_weights(tmp_path_factory):
    torch.manual_seed(0)
    model = get_card("monodepth-vgg-stereo").build()
    return save_weights(model.state_dict(), tmp_path_factory.mktemp("w") / "stereo.pt", {})  # no metadata


@pytest.fixture
def pair(tmp_path):
    rng = np.random.default_rng(0)
    left, right = tmp_path / "l.png", tmp_path / "r.png"
    base = rng.random((40, 120, 3))
    save_rgb(left, base)
    save_rgb(right, np.roll(base, -4, axis=1))
    return left, right


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_pairs_by_option_and_list_match_the_library(tmp_path, stereo_weights, pair):
    from panoconv.io.images import load_rgb

    left, right = pair
    (tmp_path / "pairs.txt").write_text("# left right\nl.png r.png\n")
    out = tmp_path / "out"
    result = _run("predict", "--pair", left, right, "-w", stereo_weights, "-o", out, "--save", "disp")
    assert result.exit_code == 0, result.output
    listed = _run(
        "predict", tmp_path / "pairs.txt", "-w", stereo_weights, "-o", tmp_path / "out2", "--save", "disp"
    )
    assert listed.exit_code == 0, listed.output
    model = load_model(stereo_weights)  # detected: no metadata
    assert model.arch_name == "monodepth-vgg-stereo"
    expected = predict_array(model, load_rgb(left).pixels, "rectilinear", right_hwc=load_rgb(right).pixels)
    np.testing.assert_allclose(np.load(out / "l_disp.npy"), expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(np.load(out / "l_disp.npy"), np.load(tmp_path / "out2" / "l_disp.npy"))
    # the right image matters: a swapped pair gives another answer
    swapped = predict_array(model, load_rgb(right).pixels, "rectilinear", right_hwc=load_rgb(left).pixels)
    assert np.abs(swapped - expected).max() > 1e-6


@pytest.mark.parametrize("how", ["image", "one-column list", "mono with pair"])
def test_wrong_inputs_are_one_line_and_write_nothing(tmp_path, stereo_weights, pair, how):
    left, right = pair
    out = tmp_path / "out"
    if how == "image":
        result, fragment = (
            _run("predict", left, "-w", stereo_weights, "-o", out),
            "l.png: monodepth-vgg-stereo is a stereo network and needs left/right pairs",
        )
    elif how == "one-column list":
        (tmp_path / "list.txt").write_text("l.png\n")
        result, fragment = (
            _run("predict", tmp_path / "list.txt", "-w", stereo_weights, "-o", out),
            "list.txt:1: a stereo network needs `left right` on every line",
        )
    else:
        mono = save_weights(
            get_card("monodepth-vgg").build().state_dict(),
            tmp_path / "mono.safetensors",
            {"architecture": "monodepth-vgg"},
        )
        result, fragment = (
            _run("predict", "--pair", left, right, "-w", mono, "-o", out),
            "monodepth-vgg takes single images; --pair is for stereo networks",
        )
    assert result.exit_code == 1, result.output
    lines = [x for x in result.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and fragment in lines[0] and "Traceback" not in result.output
    assert not out.exists()


def test_library_refuses_a_missing_or_mismatched_right_image(stereo_weights):
    model = load_model(stereo_weights)
    left = np.full((40, 120, 3), 0.5)
    with pytest.raises(InputShapeError, match="stereo network: it needs a left/right image pair"):
        predict_array(model, left, "rectilinear")
    with pytest.raises(InputShapeError, match="left and right images differ in size"):
        predict_array(model, left, "rectilinear", right_hwc=np.full((40, 100, 3), 0.5))
