"""`--precision` / `--device` for predict: bf16 autocast close to float32, fp16 on CPU and CUDA without
CUDA refused in one line, the library guards."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from panoconv.cli import main
from panoconv.errors import PanoconvError
from panoconv.inference.pipeline import predict_array
from panoconv.pt_model import create_model
from panoconv.runtime import autocast, check_precision, grad_scaler, resolve_device
from tests.inference.test_predict_cli import weights  # noqa: F401  (fixture)


@pytest.fixture(scope="module")
def image_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("img") / "x.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (40, 80, 3), np.uint8)).save(path)
    return path


def run(args):
    result = CliRunner().invoke(main, args)
    return result.exit_code, result.stdout, result.stderr


def test_bf16_predict_close_to_fp32_and_float32_out():
    torch.manual_seed(0)
    model = create_model("monodepth-vgg").eval()
    image = np.random.default_rng(0).random((64, 128, 3), np.float32)
    ref = predict_array(model, image, "rectilinear")
    low = predict_array(model, image, "rectilinear", precision="bf16")
    assert low.dtype == np.float32 and low.shape == ref.shape
    err = np.abs(low - ref).max()
    # bfloat16 keeps 8 bits of mantissa: errors of ~1e-3 of a 0.3-scaled disparity, but not zero
    assert 0 < err < 5e-3, err


def test_fp16_on_cpu_refused():
    with pytest.raises(PanoconvError, match="fp16 needs CUDA"):
        check_precision("fp16", torch.device("cpu"))
    with pytest.raises(PanoconvError, match="fp16 needs CUDA"):
        autocast("fp16", "cpu")
    with pytest.raises(PanoconvError, match="choose one of"):
        check_precision("int8", torch.device("cpu"))
    assert grad_scaler("bf16", torch.device("cpu")) is None


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal on a machine without CUDA")
def test_cuda_without_cuda_refused():
    with pytest.raises(PanoconvError, match="CUDA is not available"):
        resolve_device("cuda")
    assert resolve_device("auto").type == "cpu"
    with pytest.raises(PanoconvError, match="not a device"):
        resolve_device("gpu0")


def assert_one_line_error(code, err, fragment):
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 1 and len(lines) == 1 and fragment in lines[0] and "Traceback" not in err, (code, err)


def test_cli_fp16_cpu_one_line(tmp_path, weights, image_file):
    code, _, err = run(["predict", "-w", str(weights), str(image_file), "-o", str(tmp_path / "o"),
                        "--precision", "fp16"])
    assert_one_line_error(code, err, "fp16 needs CUDA")
    assert not (tmp_path / "o").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal on a machine without CUDA")
def test_cli_cuda_without_cuda_one_line(tmp_path, weights, image_file):
    code, _, err = run(["predict", "-w", str(weights), str(image_file), "-o", str(tmp_path / "o"),
                        "--device", "cuda"])
    assert_one_line_error(code, err, "CUDA is not available")


def test_cli_bf16_writes_close_disparity(tmp_path, weights, image_file):
    outs = {}
    for precision in ("fp32", "bf16"):
        out = tmp_path / precision
        code, _, err = run(["-q", "predict", "-w", str(weights), str(image_file), "-o", str(out),
                            "--precision", precision, "--save", "disp", "--device", "cpu", "--camera",
                            "rectilinear"])
        assert code == 0, err
        outs[precision] = np.load(out / "x_disp.npy")
    assert outs["bf16"].shape == (40, 80)
    assert 0 < np.abs(outs["bf16"] - outs["fp32"]).max() < 5e-3


def test_evaluate_bf16_metrics_close_and_fp16_refused(tmp_path, weights):
    from panoconv.evaluation.evaluate import EvaluateRequest, evaluate
    from tests.evaluation.test_evaluate import make_synth_rectilinear

    data = make_synth_rectilinear(tmp_path / "syn")
    rows = {p: evaluate(EvaluateRequest(weights=(weights,), data=data, kind="synth", progress=False,
                                        precision=p)).rows[0].metrics for p in ("fp32", "bf16")}
    assert rows["bf16"]["abs_rel"] != rows["fp32"]["abs_rel"]
    assert rows["bf16"]["abs_rel"] == pytest.approx(rows["fp32"]["abs_rel"], rel=0.02)
    code, _, err = run(["evaluate", str(data), "-w", str(weights), "--precision", "fp16"])
    assert_one_line_error(code, err, "fp16 needs CUDA")
