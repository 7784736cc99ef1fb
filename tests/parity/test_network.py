import json

import numpy as np
import pytest
from click.testing import CliRunner

from panoconv.cli import main
from panoconv.parity.network import VerifyRequest, run_network_parity
from panoconv.parity.report import to_json, to_table, write_markdown
from panoconv.weights import save_weights


@pytest.mark.parametrize("ring", [False, True])
def test_conversion_is_exact_in_float64(tf_checkpoint, ring):
    report = run_network_parity(VerifyRequest(tf_checkpoint, height=128, width=256, ring_pad=ring, seed=5))
    assert report.passed
    by_dtype = {r.dtype: r for r in report.runs}
    assert max(e.mse for e in by_dtype["float32"].outputs) <= 1e-12
    assert max(e.mse for e in by_dtype["float64"].outputs) <= 1e-24
    assert max(e.max_abs for e in by_dtype["float64"].layers) < 1e-12  # rounding level in every layer
    assert len(by_dtype["float64"].layers) == 32 and by_dtype["float64"].first_bad_layer is None
    assert report.environment["tensorflow"] and "tf_onednn" in report.environment


def test_a_broken_conversion_is_caught_at_its_layer(tf_checkpoint, tmp_path):
    from panoconv.converter.convert import convert_to_state

    state, _, _, _ = convert_to_state(tf_checkpoint)
    state["encoder.conv2a.weight"] = np.ascontiguousarray(state["encoder.conv2a.weight"].transpose(0, 1, 3,
                                                                                                   2))
    bad = save_weights(state, tmp_path / "bad.safetensors", {"architecture": "monodepth-vgg"})
    report = run_network_parity(VerifyRequest(tf_checkpoint, weights=bad, tol=1e-10, dtypes=("float64",),
                                              height=128, width=128))
    assert not report.passed
    run = report.runs[0]
    assert run.first_bad_layer == "encoder.conv2a"
    isolated = {e.name: e.max_abs for e in run.isolated}
    assert isolated["encoder.conv2a"] > 1e-3  # the broken layer is wrong on its own ...
    # ... every other layer is exact
    assert max(v for k, v in isolated.items() if k != "encoder.conv2a") < 1e-12
    assert ">>encoder.conv2a" in to_table(report).replace(" ", "")


def test_report_files(tf_checkpoint, tmp_path):
    report = run_network_parity(VerifyRequest(tf_checkpoint, dtypes=("float32",), height=128, width=128))
    md = write_markdown(report, tmp_path / "rep")
    assert "PASS" in md.read_text() and (tmp_path / "rep" / "layer_errors.png").stat().st_size > 10_000
    data = to_json(report)
    assert data["passed"] and len(data["runs"][0]["layers"]) == 32
    from panoconv.parity.report import layer_figure

    ax = layer_figure(report, "mse").axes[0]
    assert ax.get_xlabel().startswith("layer") and ax.get_ylabel() == "mse"
    assert "mse = mean (a - b)^2" in ax.get_title()
    tol_lines = [ln for ln in ax.get_lines() if "tolerance" in ln.get_label()]
    assert len(tol_lines) == 1 and tol_lines[0].get_ydata()[0] == report.runs[0].tol
    rel = layer_figure(report, "max_rel").axes[0]
    assert "max_rel = max |a - b| / max |b|" in rel.get_title() and not [ln for ln in rel.get_lines()
                                                              if "tolerance" in ln.get_label()]
    np.testing.assert_allclose(rel.get_lines()[0].get_ydata(),
                               [max(e.max_rel, 1e-300) for e in report.runs[0].layers])


def test_cli_json_and_exit_codes(tf_checkpoint, tmp_path):
    runner = CliRunner()
    ok = runner.invoke(main, ["verify", str(tf_checkpoint), "--height", "128", "--width", "128", "--dtype",
                              "float64", "--json"])
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.stdout)
    assert data["passed"] and data["runs"][0]["outputs"][0]["mse"] < 1e-24

    tight = runner.invoke(main, ["verify", str(tf_checkpoint), "--height", "128", "--width", "128", "--dtype",
                                 "float32", "--tol", "0"])
    assert tight.exit_code == 1 and "FAIL" in tight.stdout  # float32 drift is not exactly zero

    bad_size = runner.invoke(main, ["verify", str(tf_checkpoint), "--height", "100"])
    assert bad_size.exit_code == 1 and "multiples of 128" in bad_size.stderr
    assert "Traceback" not in bad_size.output


def test_cli_refuses_another_networks_checkpoint(tmp_path):
    from panoconv.tf_reference._tf import import_tf

    tf = import_tf()
    ckpt = tf.train.Checkpoint(v=tf.Variable(np.zeros((3, 3), np.float32)))
    prefix = ckpt.write(str(tmp_path / "other"))
    result = CliRunner().invoke(main, ["verify", prefix, "--height", "128", "--width", "128"])
    assert result.exit_code == 1 and "fits no known architecture" in result.stderr
    assert "Traceback" not in result.output


def test_cli_image_that_is_not_an_image(tf_checkpoint, tmp_path):
    fake = tmp_path / "photo.png"
    fake.write_bytes(b"this is not a png")
    result = CliRunner().invoke(main, ["verify", str(tf_checkpoint), "--image", str(fake), "--height", "128",
                                       "--width", "128"])
    assert result.exit_code == 1 and "photo.png: not a readable image" in result.stderr
    assert "Traceback" not in result.output and len(result.stderr.strip().splitlines()) == 1


def test_stereo_card_is_detected_and_fed_pairs(tmp_path):
    from panoconv.io.images import save_rgb
    from panoconv.tf_reference.checkpoint import CheckpointSpec, make_checkpoint

    ckpt = make_checkpoint(CheckpointSpec(tmp_path / "model", step=2,
                                          architecture="monodepth-vgg-stereo-deconv"))
    rng = np.random.default_rng(0)
    left, right = tmp_path / "l.png", tmp_path / "r.png"
    save_rgb(left, rng.random((60, 90, 3)))
    save_rgb(right, rng.random((60, 90, 3)))
    report = run_network_parity(VerifyRequest(ckpt, dtypes=("float64",), height=128, width=128, ring_pad=True,
                                              pairs=((left, right),), random_images=0))
    assert report.arch == "monodepth-vgg-stereo-deconv" and report.passed
    (run,) = report.runs
    assert run.input_name == f"{left} + {right}" and max(e.mse for e in run.outputs) < 1e-24
    # deconvs checked alone too
    assert {e.name for e in run.isolated} >= {"decoder.upconv7", "encoder.conv1a"}
