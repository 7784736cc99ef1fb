"""`panoconv extract` on bad input: exit 1, one line naming the file, no traceback, nothing written."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from panoconv.cli import main
from tests.readers._bundles import small_tensors, write_bundle

pytestmark = pytest.mark.tf


def _run(*args):
    result = CliRunner().invoke(main, ["-q", "extract", *map(str, args)])
    return result


def _assert_clean_failure(result, out, *fragments):
    assert result.exit_code == 1, result.output
    message = result.stderr.strip()
    assert "Traceback" not in result.output and "Traceback" not in message
    assert len(message.splitlines()) == 1, message
    for fragment in fragments:
        assert fragment in message, message
    assert not out.exists()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}")]


@pytest.fixture
def small_ckpt(tmp_path):
    return write_bundle(tmp_path / "ckpt" / "model-3", small_tensors())


def test_smoke_json_summary(small_ckpt, tmp_path):
    index = small_ckpt.with_name("model-3.index")
    result = _run(index, "-o", tmp_path / "w.npz", "--format", "npz", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["tensors"] == 4 and summary["left_out"] == 3 and summary["global_step"] == 1234


def test_exception_missing_path(tmp_path):
    out = tmp_path / "w"
    _assert_clean_failure(_run(tmp_path / "nope", "-o", out), out, str(tmp_path / "nope"))


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_exception_damaged_data(small_ckpt, tmp_path, damage):
    data = small_ckpt.with_name("model-3.data-00000-of-00001")
    raw = bytearray(data.read_bytes())
    if damage == "flip":
        raw[-3] ^= 0x10
    else:
        raw = raw[:-3]
    data.write_bytes(bytes(raw))
    out = tmp_path / "w"
    _assert_clean_failure(_run(small_ckpt, "-o", out, "--format", "folder"), out, str(data))


def test_exception_damaged_index(small_ckpt, tmp_path):
    index = small_ckpt.with_name("model-3.index")
    index.write_bytes(index.read_bytes()[:-10])
    out = tmp_path / "w.npz"
    _assert_clean_failure(_run(small_ckpt, "-o", out, "--format", "npz"), out, str(index))


def test_exception_output_exists(small_ckpt, tmp_path):
    out = tmp_path / "w.h5"
    out.write_bytes(b"precious")
    result = _run(small_ckpt, "-o", out, "--format", "h5")
    assert result.exit_code == 1 and "already exists" in result.stderr and str(out) in result.stderr
    assert out.read_bytes() == b"precious"
    assert _run(small_ckpt, "-o", out, "--format", "h5", "--force").exit_code == 0


@pytest.mark.parametrize("bad_name", ["../../escape", "model/../../../etc/x", ".hidden", "a\\b"])
def test_exception_malicious_variable_name(tmp_path, bad_name):
    prefix = write_bundle(tmp_path / "evil", {bad_name: np.ones(3, np.float32),
                                              "model/ok": np.zeros(2, np.float32)})
    out = tmp_path / "out" / "w"
    out.parent.mkdir()
    _assert_clean_failure(_run(prefix, "-o", out), out, str(prefix), repr(bad_name))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["evil.index", "evil.data-00000-of-00001",
                                                                   "out"])


def test_exception_name_collision(tmp_path):
    prefix = write_bundle(tmp_path / "evil", {"a/b": np.ones(1, np.float32), "a.b": np.ones(1, np.float32)})
    out = tmp_path / "w"
    _assert_clean_failure(_run(prefix, "-o", out, "--format", "npz"), out, "both map to file")
