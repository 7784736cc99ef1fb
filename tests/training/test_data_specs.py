"""`build_specs` from Python: the same specs and errors as `panoconv train`'s repeated data options."""

from __future__ import annotations

import json

import pytest

from panoconv.errors import PanoconvError
from panoconv.training.data_specs import DataOptions, build_specs


def _folder(root, kind=None):
    root.mkdir(parents=True)
    (root / "train.txt").write_text("l.png r.png\n")
    (root / "val.txt").write_text("l.png r.png\n")
    if kind:
        (root / "meta.json").write_text(json.dumps({"kind": kind}))
    return root


def test_once_given_options_apply_to_every_data_set_and_warps_come_from_meta(tmp_path):
    a, b = _folder(tmp_path / "a", "rectilinear"), _folder(tmp_path / "b", "panorama")
    specs, val = build_specs("stereo", DataOptions(data=(a, b), fovs=(90.0,), val=(a,)))
    assert [s.list_file for s in specs] == [str(a / "train.txt"), str(b / "train.txt")]
    assert [s.fov_deg for s in specs] == [90.0, 90.0]
    assert specs[0].warp == "rectilinear" and specs[1].warp != "rectilinear"
    assert val == (specs[0].__class__(str(a / "val.txt"), None, specs[0].warp, 90.0),)


def test_per_data_options_must_match_the_data_count(tmp_path):
    a, b = _folder(tmp_path / "a", "rectilinear"), _folder(tmp_path / "b", "rectilinear")
    with pytest.raises(PanoconvError, match="--fov given 3 times for 2 --data lists"):
        build_specs("stereo", DataOptions(data=(a, b), fovs=(1.0, 2.0, 3.0)))


def test_stereo_without_a_warp_to_take_is_refused(tmp_path):
    a = _folder(tmp_path / "a")
    with pytest.raises(PanoconvError, match="give --warp"):
        build_specs("stereo", DataOptions(data=(a / "train.txt",)))
    specs, _ = build_specs("stereo", DataOptions(data=(a / "train.txt",), warps=("equirectangular",)))
    assert specs[0].warp == "equirectangular"


def test_a_synth_folders_field_of_view_is_used_unless_given(tmp_path):
    """An equirect synth set rendered at 100 degrees trains with 100, not the warp's default 82.5."""
    a = _folder(tmp_path / "a")
    (a / "meta.json").write_text(json.dumps({"kind": "equirect", "fov_deg": 100.0}))
    specs, val = build_specs("stereo", DataOptions(data=(a,), val=(a,)))
    assert (specs[0].warp, specs[0].fov_deg, val[0].fov_deg) == ("equirectangular", 100.0, 100.0)
    specs, _ = build_specs("stereo", DataOptions(data=(a,), fovs=(90.0,)))
    assert specs[0].fov_deg == 90.0
    (a / "meta.json").write_text(json.dumps({"kind": "rectilinear", "fov_deg": None}))
    assert build_specs("stereo", DataOptions(data=(a,)))[0][0].fov_deg is None
