"""Crafted HDF5 weight files: nothing outside the file is read, links and sizes are bounded, one line each."""

from __future__ import annotations

import itertools
import time

import h5py
import numpy as np
import pytest

from panoconv.errors import CheckpointError
from panoconv.readers import open_checkpoint


def _keras3(path, extra=None):
    with h5py.File(path, "w") as f:
        f["layers/dense/vars/0"] = np.arange(6, dtype=np.float32).reshape(2, 3)
        if extra:
            extra(f)
    return path


def test_smoke_plain_keras3_layout(tmp_path):
    reader = open_checkpoint(_keras3(tmp_path / "w.h5"))
    np.testing.assert_array_equal(reader.read("layers/dense/vars/0"), np.arange(6).reshape(2, 3))


def test_exception_external_raw_storage_never_reads_the_local_file(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"password=hunter2" * 4)
    path = _keras3(tmp_path / "w.h5", lambda f: f.create_dataset(
        "layers/dense/vars/1", shape=(16,), dtype="f4", external=[(str(secret), 0, 64)]))
    with pytest.raises(CheckpointError, match=r"external files .*secret.txt.*not read"):
        open_checkpoint(path)


def test_exception_virtual_dataset(tmp_path):
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["x"] = np.ones(4, np.float32)

    def vds(f):
        layout = h5py.VirtualLayout(shape=(4,), dtype="f4")
        layout[:] = h5py.VirtualSource(str(other), "x", shape=(4,))
        f.create_virtual_dataset("layers/dense/vars/1", layout)

    with pytest.raises(CheckpointError, match="virtual dataset"):
        open_checkpoint(_keras3(tmp_path / "w.h5", vds))


@pytest.mark.parametrize("link, match", [
    (lambda: h5py.ExternalLink("/etc/passwd.h5", "/x"), "external link"),
    (lambda: h5py.SoftLink("/layers/dense/vars/0"), "soft link"),
])
def test_exception_links(tmp_path, link, match):
    def add(f):
        f["layers/dense/vars/1"] = link()

    with pytest.raises(CheckpointError, match=match):
        open_checkpoint(_keras3(tmp_path / "w.h5", add))


def test_exception_hard_link_cycle(tmp_path):
    def cycle(f):
        f["layers/dense/loop"] = f["layers"]

    with pytest.raises(CheckpointError, match="reached twice"):
        open_checkpoint(_keras3(tmp_path / "w.h5", cycle))


def test_exception_exponential_link_dag_is_fast(tmp_path):
    def dag(f):  # g0 -> a,b -> g1 -> a,b -> ... : 2^40 paths from 40 groups
        groups = [f.create_group(f"g{i}") for i in range(40)]
        for parent, child in itertools.pairwise(groups):
            parent["a"] = child
            parent["b"] = child

    start = time.perf_counter()
    with pytest.raises(CheckpointError, match="reached twice"):
        open_checkpoint(_keras3(tmp_path / "w.h5", dag))
    assert time.perf_counter() - start < 5


def test_exception_huge_declared_dataset_is_refused_before_reading(tmp_path):
    path = _keras3(tmp_path / "w.h5", lambda f: f.create_dataset("layers/dense/vars/1", shape=(1 << 28,),
                                                                dtype="f4"))
    assert path.stat().st_size < 1 << 16
    with pytest.raises(CheckpointError, match=r"declares 1073741824 bytes .* stores 0 bytes"):
        open_checkpoint(path)


def test_scalar_and_empty_datasets(tmp_path):
    def add(f):
        f["layers/dense/vars/1"] = np.float64(2.5)
        f["layers/dense/vars/2"] = np.zeros((0, 3), np.float32)
        f.create_dataset("layers/dense/vars/3", data=h5py.Empty("f4"))

    reader = open_checkpoint(_keras3(tmp_path / "w.h5", add))
    assert reader.read("layers/dense/vars/1") == 2.5 and reader.read("layers/dense/vars/1").shape == ()
    assert reader.read("layers/dense/vars/2").shape == (0, 3)
    assert "null dataspace" in reader.skipped["layers/dense/vars/3"]


@pytest.mark.parametrize("layout, match", [
    ("weight-is-group", "is a group where a weight dataset was expected"),
    ("missing-weight", "unexpected Keras HDF5 layout"),
    ("layer-is-dataset", "is not a group"),
    ("scalar-layer-names", None),
])
def test_exception_legacy_groups(tmp_path, layout, match):
    path = tmp_path / "legacy.h5"
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = "d1" if layout == "scalar-layer-names" else [b"d1"]
        if layout == "layer-is-dataset":
            f["d1"] = np.ones(2)
        else:
            group = f.create_group("d1")
            group.attrs["weight_names"] = [b"d1/kernel:0"]
            if layout == "weight-is-group":
                group.create_group("d1/kernel:0")
            elif layout != "missing-weight":
                group["d1/kernel:0"] = np.ones((2, 2), np.float32)
    if match is None:
        assert [t.name for t in open_checkpoint(path).tensors()] == ["d1/kernel"]
    else:
        with pytest.raises(CheckpointError, match=match):
            open_checkpoint(path)
