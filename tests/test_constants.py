"""Camera / rig facts and the warp list are named once (panoconv/geometry/constants.py); code uses them."""

from __future__ import annotations

import ast
from pathlib import Path

import panoconv
from panoconv.geometry import constants

ROOT = Path(panoconv.__file__).parent
FACTS = {constants.KITTI_FOV_DEG, constants.KITTI_BASELINE_M, constants.THREED60_BASELINE_M,
         constants.UPSTREAM_PANORAMA_BASELINE_M}


def test_no_module_repeats_a_rig_fact_as_a_number_in_code():
    owner = ROOT / "geometry" / "constants.py"
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        if path == owner:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, float) and node.value in FACTS:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value}")
    assert not found, found


def test_every_warp_list_is_the_one_list():
    from panoconv.data import stereo
    from panoconv.geometry import warps
    from panoconv.training import config

    assert constants.WARP_MODES == ("rectilinear", "equirectangular", "panorama")
    assert stereo.WARPS is config.WARPS is warps.WARP_MODES is constants.WARP_MODES
    assert stereo.DEFAULT_FOV == {"rectilinear": 82.5, "equirectangular": 82.5, "panorama": 360.0}
