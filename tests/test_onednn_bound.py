"""benchmarks/onednn_bound.py: the oneDNN verbose lines it sums, and the ceiling it derives from them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))
import onednn_bound as ob  # noqa: E402


def _line(kind: str, impl: str, ms: float) -> str:
    return (f"onednn_verbose,v1,primitive,exec,cpu,{kind},{impl},forward_training,src:f32::blocked:acdb::f0,"
            f"attr-scratchpad:user,alg:convolution_direct,mb1_ic3oc8_ih8oh8kh3sh1dh0ph1_iw8ow8kw3sw1dw0pw1,{ms}")


def test_only_exec_lines_after_the_marker_count_per_call():
    text = "\n".join([
        _line("convolution", "brg_conv_fwd:avx512_core", 100.0),  # warm-up: before the marker
        "onednn_verbose,v1,primitive,create:cache_miss,cpu,convolution,brg_conv_fwd:avx512_core,x,y,z,1.0",
        ob.MARK,
        _line("convolution", "brg_conv_fwd:avx512_core", 3.0),
        _line("convolution", "brg_conv_fwd:avx512_core_bf16", 5.0),
        _line("reorder", "jit:uni", 1.0),
        "onednn_verbose,v1,primitive,create:cache_hit,cpu,reorder,jit:uni,x,y,z,9.0",
        "not a verbose line",
    ])
    got = ob.parse_verbose(text, calls=2)
    assert got["ms"] == {"convolution": 4.0, "reorder": 0.5}
    assert got["implementations"]["convolution"] == ["brg_conv_fwd:avx512_core",
                                                     "brg_conv_fwd:avx512_core_bf16"]


def test_a_worker_without_marker_is_an_error():
    with pytest.raises(SystemExit, match="no marker"):
        ob.parse_verbose(_line("convolution", "x", 1.0), calls=1)


def test_ceiling_is_tf_wall_time_over_the_routes_convolution_time():
    wall = {"tf_graph": 0.5, "panoconv_fp32": 0.6}
    prims = {"tf_graph": {"ms": {"convolution": 450.0}, "implementations": {"convolution": ["a"]}},
             "panoconv_fp32": {"ms": {"convolution": 400.0, "reorder": 40.0}, "implementations": {}}}
    rows = {r["route"]: r for r in ob.ceiling_rows(wall, prims)}
    assert rows["panoconv_fp32"]["ceiling"] == pytest.approx(500.0 / 400.0)
    assert rows["panoconv_fp32"]["ratio"] == pytest.approx(0.5 / 0.6)
    assert rows["tf_graph"]["ceiling"] == pytest.approx(500.0 / 450.0)


def test_the_installed_torch_prints_lines_it_can_parse():
    """The verbose format is oneDNN's, not ours: a real convolution after the marker must be found."""
    code = ("import torch, os, onednn_bound as ob\n"
            "cl = torch.channels_last\n"
            "x = torch.rand(1, 32, 32, 32).to(memory_format=cl)\n"
            "w = torch.rand(32, 32, 3, 3).to(memory_format=cl)\n"
            "torch.nn.functional.conv2d(x, w, padding=1)\n"
            "ob._flush_c_stdout(); os.write(1, (ob.MARK + '\\n').encode())\n"
            "torch.nn.functional.conv2d(x, w, padding=1); ob._flush_c_stdout()\n")
    env = dict(os.environ, ONEDNN_VERBOSE="1", PYTHONPATH=os.pathsep.join([str(BENCH), *sys.path]))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    got = ob.parse_verbose(done.stdout, calls=1)
    assert got["ms"]["convolution"] > 0.0
    assert got["implementations"]["convolution"]
