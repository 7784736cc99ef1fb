"""Usage errors must answer before torch or TensorFlow is imported (the wall-time target is < 1 s;
benchmarks/bench_usage_errors.py measures it). This test checks the cause, not the clock: after each
mistake the interpreter must not hold torch or tensorflow."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from panoconv.cli import COMMANDS

PROBE = ("import sys, runpy; sys.argv = ['panoconv'] + sys.argv[1:]\n"
         "try:\n    runpy.run_module('panoconv.cli', run_name='__main__')\n"
         "finally:\n    print('HEAVY=' + ','.join(m for m in ('torch', 'tensorflow') if m in sys.modules),"
         " file=sys.stderr)\n")


def _cases(d: Path) -> dict[str, list[str]]:
    (d / "empty").mkdir(exist_ok=True)
    (d / "img.png").write_bytes(b"")
    (d / "w.safetensors").write_bytes(b"")
    return {
        "verify": ["verify", str(d / "nope")],
        "predict": ["predict", str(d / "nope.png"), "-w", str(d / "w.safetensors"), "-o", str(d / "o")],
        "predict-range": ["predict", str(d / "img.png"), "-w", str(d / "w.safetensors"), "-o", str(d / "o"),
                          "--range", "1,0"],
        "predict-option": ["predict", "--bogus"],
        "evaluate": ["evaluate", str(d / "empty"), "-w", str(d / "nope.safetensors")],
        "train": ["train", "--data", str(d / "nope.txt")],
        "train-option": ["train", "--bogus"],
        "extract": ["extract", str(d / "nope"), "-o", str(d / "x")],
        "convert": ["convert", str(d / "nope"), "-o", str(d / "x.safetensors")],
        "reference": ["reference", "make-checkpoint", str(d / "m"), "--step", "-1"],
        "synth": ["synth", str(d / "s"), "--count", "0"],
        "reproject": ["reproject", str(d / "nope.txt"), "-o", str(d / "r")],
        "compare": ["compare", str(d / "nope.npy"), str(d / "nope2.npy")],
        "export": ["export", str(d / "nope.safetensors"), "--format", "onnx", "-o", str(d / "m.onnx")],
    }


CASE_NAMES = ["verify", "predict", "predict-range", "predict-option", "evaluate", "train", "train-option",
              "extract", "convert", "reference", "synth", "reproject", "compare", "export"]


def test_every_command_has_a_case(tmp_path: Path) -> None:
    cases = _cases(tmp_path)
    assert sorted(cases) == sorted(CASE_NAMES)
    covered = {argv[0] for argv in cases.values()}
    assert covered == {name for name, _ in COMMANDS}, "add a usage-error case for each new command"


@pytest.mark.parametrize("case", CASE_NAMES)
def test_usage_error_imports_neither_torch_nor_tensorflow(case: str, tmp_path: Path) -> None:
    argv = _cases(tmp_path)[case]
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=120)
    assert done.returncode in (1, 2), done.stderr
    heavy = [line for line in done.stderr.splitlines() if line.startswith("HEAVY=")]
    assert heavy == ["HEAVY="], f"{' '.join(argv)} imported {heavy}: {done.stderr[-400:]}"
    message = [line for line in done.stderr.splitlines() if line and not line.startswith("HEAVY=")]
    assert "Traceback" not in done.stderr and len(message) >= 1
