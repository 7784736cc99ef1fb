"""`panoconv export`: ONNX / TorchScript files that take other sizes than the traced one, carry their
metadata, refuse sizes the network cannot take in one line, and match TF (`verify --exported`)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from panoconv.errors import InputShapeError, PanoconvError
from panoconv.export import ExportRequest, export, load_exported
from panoconv.pt_model import create_model
from tests.inference.test_predict_cli import run, weights  # noqa: F401  (fixture)

pytest.importorskip("onnxruntime")  # in the test extra: present in CI


@pytest.mark.parametrize("fmt", ["onnx", "torchscript"])
def test_export_runs_at_other_sizes_and_refuses_bad_ones(tmp_path, weights, fmt):
    result = export(ExportRequest(weights, tmp_path / f"m.{fmt}", format=fmt, height=128, width=128))
    assert set(result.max_abs_diff) == {"128x128", "256x384"}  # self-check at a second size
    exported = load_exported(result.path)
    assert exported.meta.arch == "monodepth-vgg" and exported.meta.dynamic and not exported.meta.ring_pad
    model = create_model("monodepth-vgg")
    model.load_state_dict(torch.load(weights, weights_only=True))
    x = torch.rand(2, 3, 128, 256, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        ref = model.eval()(x)
    got = exported(x.numpy())
    assert len(got) == 4 and got[0].shape == (2, 2, 128, 256) and got[3].shape == (2, 2, 16, 32)
    assert max(float(np.abs(a - b.numpy()).max()) for a, b in zip(got, ref)) < 1e-5
    with pytest.raises(InputShapeError, match="multiples of 128, got 100x256"):
        exported(np.zeros((1, 3, 100, 256), np.float32))


def test_cli_bad_size_one_line_nothing_written(tmp_path, weights):
    code, _, err = run(["export", str(weights), "-o", str(tmp_path / "m.onnx"), "--height", "100"])
    lines = [line for line in err.splitlines() if line.startswith("Error:")]
    assert code == 1 and len(lines) == 1 and "multiples of 128, got 100x512" in lines[0], err
    assert "Traceback" not in err and list(tmp_path.iterdir()) == []


def test_cli_existing_output_and_bad_file(tmp_path, weights):
    (tmp_path / "m.onnx").write_bytes(b"not onnx")
    code, _, err = run(["export", str(weights), "-o", str(tmp_path / "m.onnx")])
    assert code == 1 and "already exists" in err
    with pytest.raises(PanoconvError, match="not a readable ONNX model"):
        load_exported(tmp_path / "m.onnx")
    (tmp_path / "m.pt").write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(PanoconvError, match="not a readable TorchScript file"):
        load_exported(tmp_path / "m.pt")


@pytest.mark.slow
@pytest.mark.tf
def test_verify_exported_matches_tf_float32(tf_checkpoint, tmp_path):
    conv = tmp_path / "m.safetensors"
    assert run(["convert", str(tf_checkpoint), "-o", str(conv)])[0] == 0
    assert run(["export", str(conv), "-o", str(tmp_path / "m.onnx"), "--height", "128", "--width",
                "128"])[0] == 0
    code, out, err = run(["verify", str(tf_checkpoint), "--exported", str(tmp_path / "m.onnx"), "--height",
                          "128", "--width", "256", "--tol", "1e-12", "--json"])
    assert code == 0, err
    import json

    report = json.loads(out)
    assert [r["dtype"] for r in report["runs"]] == ["float32"] and report["request"]["exported"]
    outputs = report["runs"][0]["outputs"]
    assert all(o["mse"] <= 1e-12 for o in outputs) and len(outputs) == 4
    code, _, err = run(["verify", str(tf_checkpoint), "--exported", str(tmp_path / "m.onnx"), "--ring-pad",
                        "--height", "128", "--width", "128"])
    assert code == 1 and "exported with ring padding off" in err


def test_onnxruntime_thread_count_is_settable(tmp_path, weights):
    """Benchmarks compare at equal thread counts; onnxruntime otherwise takes every core."""
    path = export(ExportRequest(weights, tmp_path / "m.onnx", height=128, width=128)).path
    one = load_exported(path, threads=1)
    options = one.session.get_session_options()
    assert (options.intra_op_num_threads, options.inter_op_num_threads) == (1, 1)
    assert load_exported(path).session.get_session_options().intra_op_num_threads == 0  # ort's default
    with pytest.raises(PanoconvError, match="threads must be at least 1, got 0"):
        load_exported(path, threads=0)
