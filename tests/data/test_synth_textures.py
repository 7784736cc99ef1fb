"""Texture families (`SynthRequest.textures`): same seed -> same scenes and bytes; another family -> other
surfaces with measurably different image statistics, over the exact same geometry."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from panoconv.cli import main as cli
from panoconv.commands.synth import command as synth_command
from panoconv.data.synth import SynthRequest, generate
from panoconv.data.synth.textures import FAMILIES, KINDS
from panoconv.errors import PanoconvError

KW = {"kind": "rectilinear", "count": 4, "height": 48, "width": 96, "seed": 3, "progress": False}


def _images(root: Path) -> np.ndarray:
    return np.stack([np.asarray(Image.open(p),
                                dtype=np.float64) / 255.0 for p in sorted(root.glob("left/*.png"))])


def _edge_density(images: np.ndarray) -> float:
    """Share of horizontal neighbour pairs whose colour jumps by more than 0.2 (sharp edges)."""
    return float((np.abs(np.diff(images, axis=2)).mean(-1) > 0.2).mean())


@pytest.fixture(scope="module")
def families(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("families")
    return {f: generate(SynthRequest(out=root / f, textures=f, **KW)) for f in ("mixed", "smooth",
                                                                                "geometric")}


def test_families_partition_the_kinds() -> None:
    assert FAMILIES["mixed"] == KINDS
    assert set(FAMILIES["smooth"]) | set(FAMILIES["geometric"]) == set(KINDS)
    assert not set(FAMILIES["smooth"]) & set(FAMILIES["geometric"])


def test_same_geometry_other_surfaces(families: dict[str, Path]) -> None:
    for name in ("depth/000000.npy", "depth/000003.npy"):
        depth = {f: np.load(root / name) for f, root in families.items()}
        assert np.array_equal(depth["smooth"], depth["mixed"]) and np.array_equal(depth["geometric"],
                                                                                  depth["mixed"])
    images = {f: _images(root) for f, root in families.items()}
    assert not np.array_equal(images["smooth"], images["geometric"])
    # sharp-edged patterns: well over 1.5x the strong-edge density of the smooth family on the same scenes
    assert _edge_density(images["geometric"]) > 1.5 * _edge_density(images["smooth"])
    assert json.loads((families["geometric"] / "meta.json").read_text())["textures"] == "geometric"


def test_default_family_is_mixed(families: dict[str, Path], tmp_path: Path) -> None:
    """(That "mixed" reproduces the generator from before families existed was checked once by hashing the
    decoded pixels and depths against main: a stored hash would tie the test to one CPU's float paths.)"""
    default = generate(SynthRequest(out=tmp_path / "default", **KW))
    for name in ("left/000001.png", "right/000001.png", "depth/000001.npy"):
        assert (default / name).read_bytes() == (families["mixed"] / name).read_bytes()


def test_same_seed_same_family_identical(families: dict[str, Path], tmp_path: Path) -> None:
    again = generate(SynthRequest(out=tmp_path / "again", textures="geometric", **KW))
    for name in ("left/000002.png", "right/000002.png"):
        assert (again / name).read_bytes() == (families["geometric"] / name).read_bytes()


def test_unknown_family_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(PanoconvError, match="unknown texture family 'wood'"):
        generate(SynthRequest(out=tmp_path / "x", textures="wood", progress=False))
    assert not (tmp_path / "x").exists()


def test_cli_choices_match_the_library(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["synth", str(tmp_path / "x"), "--textures", "wood"])
    assert result.exit_code == 2 and "mixed" in result.output and "geometric" in result.output
    assert not (tmp_path / "x").exists()
    option = next(p for p in synth_command.params if p.name == "textures")
    assert tuple(option.type.choices) == tuple(FAMILIES)
