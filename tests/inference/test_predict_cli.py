"""`panoconv predict` / `evaluate` on bad input: exit 1, one line on stderr, no traceback; outputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image, PngImagePlugin

from panoconv.cli import main
from panoconv.inference import PredictRequest, predict
from panoconv.pt_model import create_model
from tests.inference._fakes import ConstantDisparity


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("w") / "model.pt"
    torch.save(create_model("monodepth-vgg").state_dict(), path)
    return path


def run(args):
    result = CliRunner().invoke(main, args)
    return result.exit_code, result.stdout, result.stderr


def assert_one_line_error(code, err, fragment):
    assert code == 1
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error:") and fragment in lines[0], err
    assert "Traceback" not in err


def test_corrupt_file(tmp_path, weights):
    (tmp_path / "bad.png").write_text("not an image")
    code, _, err = run(["predict", "-w", str(weights), str(tmp_path / "bad.png"), "-o", str(tmp_path / "o")])
    assert_one_line_error(code, err, "bad.png: not a readable image")


def test_wrong_aspect_panorama(tmp_path, weights):
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(tmp_path / "x.png")
    code, _, err = run(["predict", "-w", str(weights), str(tmp_path / "x.png"), "-o", str(tmp_path / "o"),
                        "--camera", "equirectangular"])
    assert_one_line_error(code, err, "twice as wide as high")


def test_missing_input(tmp_path, weights):
    code, _, err = run(["predict", "-w", str(weights), str(tmp_path / "nope.jpg"), "-o", str(tmp_path / "o")])
    assert_one_line_error(code, err, "no such file")


def test_bad_save_kind(tmp_path, weights):
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(tmp_path / "x.png")
    code, _, err = run(["predict", "-w", str(weights), str(tmp_path / "x.png"), "-o", str(tmp_path / "o"),
                        "--save", "disp,jpeg"])
    assert_one_line_error(code, err, "--save")


def test_evaluate_missing_meta(tmp_path, weights):
    code, _, err = run(["evaluate", str(tmp_path), "-w", str(weights)])
    assert_one_line_error(code, err, "meta.json")


def test_library_outputs_skip_bad_notes_and_force(tmp_path, caplog):
    from tests.inference.test_camera import XMP

    xmp = PngImagePlugin.PngInfo()
    xmp.add_itxt("XML:com.adobe.xmp", XMP.format("equirectangular"))  # a small panorama says what it is
    Image.fromarray((np.arange(40 * 80) % 65535).astype(np.uint16).reshape(40, 80)).save(tmp_path / "g16.png",
                                                                                         pnginfo=xmp)
    Image.fromarray(np.zeros((30, 50, 4), np.uint8)).save(tmp_path / "rgba.png")
    (tmp_path / "bad.jpg").write_text("x")
    (tmp_path / "list.txt").write_text("g16.png\nrgba.png\nbad.jpg\n")
    req = PredictRequest(weights=tmp_path / "unused", inputs=(tmp_path / "list.txt",),
                         out_dir=tmp_path / "out", save=("disp", "depth", "png", "ply"), skip_bad=True,
                         progress=False, model=ConstantDisparity(0.1))
    with caplog.at_level("INFO"):
        results = predict(req)
    assert [r.ok for r in results] == [True, True, False]
    assert "grayscale converted" in caplog.text and "alpha dropped" in caplog.text
    assert results[0].camera == "equirectangular" and results[1].camera == "rectilinear"
    disp = np.load(results[0].outputs["disp"])
    assert disp.shape == (40, 80) and np.isnan(disp[0]).all()
    depth = np.load(results[0].outputs["depth"])
    np.testing.assert_allclose(np.nanmax(depth), 0.472 / (0.1 * 2 * np.pi), rtol=1e-5)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        f"{s}{x}" for s in ("g16", "rgba") for x in ("_disp.npy", "_depth.npy", "_disp.png", ".ply",
                                                     "_meta.json"))
    from panoconv.errors import OutputExistsError

    with pytest.raises(OutputExistsError):
        predict(req)
    assert len(predict(PredictRequest(**{**req.__dict__, "force": True}))) == 3


@pytest.mark.slow
def test_end_to_end_cli_panorama_ply(tmp_path, weights):
    rng = np.random.default_rng(0)
    Image.fromarray((rng.random((128, 256, 3)) * 255).astype(np.uint8)).save(tmp_path / "pano.png")
    code, out, err = run(["predict", "-w", str(weights), str(tmp_path), "-o", str(tmp_path / "o"),
                          "--save", "disp,depth,png,ply", "--net-width", "256", "--json",
                          "--camera", "equirectangular"])
    assert code == 0, err
    import json

    result = json.loads(out)[0]
    assert result["camera"] == "equirectangular"
    from panoconv.inference.outputs import read_ply

    cloud = read_ply(result["outputs"]["ply"])
    finite = np.isfinite(np.load(result["outputs"]["depth"])).sum()
    assert len(cloud) == finite > 0
    r = np.sqrt(cloud["x"] ** 2 + cloud["y"] ** 2 + cloud["z"] ** 2)
    np.testing.assert_allclose(np.sort(r), np.sort(np.load(result["outputs"]["depth"])[
        np.isfinite(np.load(result["outputs"]["depth"]))]), rtol=1e-5)


def test_no_output_folder_when_nothing_was_predicted(tmp_path):
    from click.testing import CliRunner

    from panoconv.cli import main
    from panoconv.pt_model import create_model
    from panoconv.weights import save_weights

    weights = save_weights(create_model("monodepth-vgg").state_dict(), tmp_path / "w.safetensors",
                           {"architecture": "monodepth-vgg"})
    bad = tmp_path / "x.png"
    bad.write_text("not an image")
    result = CliRunner().invoke(main, ["predict", "-w", str(weights), str(bad), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1 and "x.png: not a readable image" in result.stderr
    assert not (tmp_path / "out").exists()
