"""`panoconv compare`: a prediction against upstream's saved .npy or its viridis PNG (made here)."""

from __future__ import annotations

import json

import numpy as np
from click.testing import CliRunner
from matplotlib import pyplot as plt

from panoconv.cli import main
from panoconv.parity.upstream_output import colormap_levels, value_levels


def _maps(tmp_path, scale=3.7, noise=0.0):
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:30, 0:200]
    disp = (0.02 + 0.1 * (1 + np.sin(xx / 9.0)) * (1 + yy / 30.0)).astype(np.float32)
    ours = disp * (1 + noise * rng.standard_normal(disp.shape)).astype(np.float32)
    np.save(tmp_path / "ours.npy", ours)
    np.save(tmp_path / "up.npy", disp * np.float32(scale))
    plt.imsave(tmp_path / "up.png", disp * scale, cmap="viridis")  # what upstream's script writes
    return disp


def _compare(*args):
    result = CliRunner().invoke(main, ["compare", *map(str, args), "--json"])
    return result.exit_code, result.stdout, result.stderr


def test_colormap_inversion_recovers_matplotlib_levels():
    values = np.linspace(0.0, 1.0, 1000).reshape(10, 100)
    rgb = plt.get_cmap("viridis")(values, bytes=True)[..., :3]
    diff = np.abs(colormap_levels(rgb) - value_levels(values))
    # viridis has two pairs of neighbouring entries with identical 8-bit colours (104/105, 137/138)
    assert diff.max() <= 1 and np.mean(diff == 0) >= 0.99


def test_same_map_passes_against_png_and_npy(tmp_path):
    _maps(tmp_path)
    code, out, _ = _compare(tmp_path / "ours.npy", tmp_path / "up.png")
    report = json.loads(out)
    assert code == 0 and report["within_one_level"] >= 0.999 and report["correlation"] > 0.999
    code, out, _ = _compare(tmp_path / "ours.npy", tmp_path / "up.npy")
    report = json.loads(out)
    assert code == 0 and abs(report["scale"] - 3.7) < 1e-5 and report["max_pointwise_rel"] <= 1e-6


def test_a_different_map_fails(tmp_path):
    _maps(tmp_path, noise=0.05)
    assert _compare(tmp_path / "ours.npy", tmp_path / "up.png")[0] == 1
    assert _compare(tmp_path / "ours.npy", tmp_path / "up.npy")[0] == 1


def test_size_mismatch_is_one_line(tmp_path):
    _maps(tmp_path)
    np.save(tmp_path / "small.npy", np.zeros((5, 5), np.float32))
    result = CliRunner().invoke(main, ["compare", str(tmp_path / "small.npy"), str(tmp_path / "up.png")])
    assert result.exit_code == 1 and "does not match" in result.stderr and "Traceback" not in result.output
