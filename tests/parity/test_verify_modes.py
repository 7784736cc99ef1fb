"""`panoconv verify --loss` and `--pipeline` through the CLI (the library checks have their own tests)."""

import json

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from panoconv.cli import main


def _verify(*args):
    return CliRunner().invoke(main, ["verify", *map(str, args)])


def test_modes_are_exclusive(tf_checkpoint):
    result = _verify(tf_checkpoint, "--loss", "--pipeline")
    assert result.exit_code == 2 and "separate checks" in result.output


def test_loss_mode_refuses_bad_sizes(tf_checkpoint):
    result = _verify(tf_checkpoint, "--loss", "--height", "100")
    assert result.exit_code == 1 and "multiples of 128" in result.stderr and "Traceback" not in result.output


@pytest.mark.slow
def test_loss_mode_reports_terms_gradients_and_adam(tf_checkpoint):
    result = _verify(tf_checkpoint, "--loss", "--dtype", "float64", "--height", "128", "--width", "128",
                     "--batch", "1", "--adam-steps", "1", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    (run,) = report["results"]
    assert run["dtype"] == "float64" and len(run["gradients"]) == 64
    assert {t["name"] for t in run["terms"]} >= {"total", "image", "smoothness", "lr_consistency"}
    assert max(g["max_rel"] for g in run["gradients"]) <= 1e-10
    assert max(a["max_rel"] for a in run["adam"]) <= 1e-10


@pytest.mark.slow
def test_pipeline_mode_on_a_user_panorama(tf_checkpoint, tmp_path):
    pano = tmp_path / "pano.png"
    rng = np.random.default_rng(0)
    Image.fromarray((rng.random((256, 512, 3)) * 255).astype(np.uint8)).save(pano)
    result = _verify(tf_checkpoint, "--pipeline", "--image", pano, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    finals = {d["dtype"]: d["max_abs"] for d in report["diffs"] if d["stage"] == "final"}
    assert finals["float32"] <= 1e-5 and finals["float64"] <= 1e-10


def test_pipeline_mode_exits_1_when_a_stage_is_perturbed(tf_checkpoint, monkeypatch):
    """One grey level added to one input pixel of the 8-bit resize: net_input fails, exit 1."""
    import panoconv.inference.pipeline as pipeline

    resize = pipeline.resize_image

    def off_by_one_level(image, size, resample):
        out = resize(image, size, resample).clone()
        out[0, size[0] // 2, size[1] // 2] += 1.0 / 255.0
        return out

    monkeypatch.setattr(pipeline, "resize_image", off_by_one_level)
    result = _verify(tf_checkpoint, "--pipeline", "--resample", "upstream", "--net-width", "128", "--dtype",
                     "float32", "--json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    failed = [d["stage"] for d in report["diffs"] if d["status"] == "FAIL"]
    assert failed[0] == "net_input" and report["passed"] is False
    assert report["resample"] == "upstream"


@pytest.mark.slow
@pytest.mark.tf
def test_verify_bf16_reports_layers_and_metric_change(tf_checkpoint):
    from panoconv.parity.network import VerifyRequest, run_network_parity

    report = run_network_parity(VerifyRequest(tf_checkpoint, height=128, width=128, precision="bf16"))
    (run,) = report.runs  # float32 only: bf16 is compared with float32 TF
    assert run.dtype == "float32" and len(run.layers) == 32 and len(run.isolated) == 32
    disp1 = run.outputs[0]
    assert disp1.name == "disp1" and 1e-5 < disp1.max_abs < 1e-2  # bf16 error: real, small
    change = report.metric_change
    assert set(change) == {"fp32", "bf16", "relative_change"}
    assert change["fp32"]["abs_rel"] != change["bf16"]["abs_rel"]
    assert abs(change["relative_change"]["abs_rel"]) < 0.01
