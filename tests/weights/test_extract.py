"""`extract` writes every model tensor with a truthful manifest, in all three layouts, atomically."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from panoconv.errors import CheckpointError, OutputExistsError
from panoconv.weights.manifest import array_sha256
from panoconv.weights.store import ExtractRequest, extract, open_store
from tests.readers._bundles import small_tensors, write_bundle

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def small_ckpt(tmp_path_factory):
    return write_bundle(tmp_path_factory.mktemp("small") / "model-7", small_tensors())


def test_folder_manifest_and_values(tf_checkpoint_with_optimizer, seeded_tf_weights, tmp_path):
    out = tmp_path / "weights"
    manifest = extract(ExtractRequest(tf_checkpoint_with_optimizer, out), progress=False)
    data = json.loads((out / "manifest.json").read_text())
    assert data == manifest.to_dict()
    assert data["global_step"] == 180000 and data["layout"] == "folder"
    assert {t["name"] for t in data["tensors"]} == set(seeded_tf_weights)
    left = {x["name"] for x in data["left_out"]}
    assert {"Variable", "beta1_power", "beta2_power", "model/encoder/Conv/weights/Adam_1"} <= left
    assert len(left) == 64 * 2 + 3
    record = next(t for t in data["tensors"] if t["name"] == "model/decoder/Conv_1/weights")
    assert record["file"] == "model.decoder.Conv_1.weights:0.npy"
    assert record["shape"] == [3, 3, 1024, 512] and record["dtype"] == "float32"
    array = np.load(out / record["file"], allow_pickle=False)
    assert record["sha256"] == array_sha256(array) == hashlib.sha256(array.tobytes()).hexdigest()
    data_file = Path(f"{tf_checkpoint_with_optimizer}.data-00000-of-00001")
    source = {s["name"]: s for s in data["source_files"]}
    assert source[data_file.name]["bytes"] == data_file.stat().st_size
    store = open_store(out)
    assert not store.legacy and store.manifest["global_step"] == 180000
    for name in store.names():
        np.testing.assert_array_equal(store.read(name), seeded_tf_weights[name])
    assert sorted(p.name for p in out.iterdir()) == sorted([*(t["file"] for t in data["tensors"]),
                                                             "manifest.json"])


@pytest.mark.parametrize("fmt,out_name", [("folder", "w"), ("npz", "w.npz"), ("h5", "w.h5")])
def test_formats_round_trip_with_optimizer(small_ckpt, tmp_path, fmt, out_name):
    values = small_tensors()
    out = tmp_path / out_name
    manifest = extract(ExtractRequest(small_ckpt, out, format=fmt, include_optimizer=True), progress=False)
    assert manifest.left_out == [] and manifest.global_step == 1234
    store = open_store(out)
    assert sorted(store.names()) == sorted(values)
    for name, value in values.items():
        got = store.read(name)
        assert got.dtype == np.asarray(value).dtype
        np.testing.assert_array_equal(got, value)
    assert store.manifest["layout"] == fmt
    if fmt == "npz":
        with np.load(out, allow_pickle=False) as npz:  # plain numpy can read it too
            np.testing.assert_array_equal(npz["model.encoder.Conv.biases:0"],
                                          values["model/encoder/Conv/biases"])


def test_optimizer_left_out_by_default(small_ckpt, tmp_path):
    manifest = extract(ExtractRequest(small_ckpt, tmp_path / "w"), progress=False)
    assert sorted(x.name for x in manifest.left_out) == ["Variable", "beta1_power",
                                                          "model/encoder/Conv/weights/Adam"]
    assert manifest.global_step == 1234


def test_exception_output_exists_and_force(small_ckpt, tmp_path):
    out = tmp_path / "w"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(OutputExistsError):
        extract(ExtractRequest(small_ckpt, out), progress=False)
    assert (out / "keep.txt").exists()
    extract(ExtractRequest(small_ckpt, out, force=True), progress=False)
    assert not (out / "keep.txt").exists() and (out / "manifest.json").exists()


def test_exception_tampered_store_fails_sha(small_ckpt, tmp_path):
    out = tmp_path / "w"
    extract(ExtractRequest(small_ckpt, out), progress=False)
    target = out / "model.encoder.Conv.weights:0.npy"
    array = np.load(target)
    array[0, 0, 0, 0] += 1
    np.save(target, array)
    with pytest.raises(CheckpointError, match="SHA-256"):
        open_store(out).read("model/encoder/Conv/weights")


def test_legacy_numpy_folder(tmp_path):
    kernel = np.arange(3 * 3 * 2 * 4, dtype=np.float32)
    np.save(tmp_path / "model.encoder.Conv.weights:0.npy", kernel.reshape(1, -1))
    np.save(tmp_path / "model.encoder.Conv.biases:0.npy", np.ones((1, 4), np.float32))
    store = open_store(tmp_path)
    assert store.legacy and store.manifest is None
    assert store.names() == ["model/encoder/Conv/biases", "model/encoder/Conv/weights"]
    assert store.read("model/encoder/Conv/weights").shape == (1, 72)


@pytest.mark.parametrize("bad", ["pickle", "not_npy"])
def test_exception_bad_legacy_files(tmp_path, bad):
    target = tmp_path / "model.x:0.npy"
    if bad == "pickle":
        np.save(target, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    else:
        target.write_bytes(b"this is not numpy")
    with pytest.raises(CheckpointError, match="not a readable numpy array") as err:
        open_store(tmp_path).read("model/x")
    assert str(target) in str(err.value)


def test_exception_not_a_store(tmp_path):
    with pytest.raises(CheckpointError, match="not a weight store"):
        open_store(tmp_path)
    (tmp_path / "x.bin").write_bytes(b"1234")
    with pytest.raises(CheckpointError, match="not a weight store"):
        open_store(tmp_path / "x.bin")


def test_tf2_checkpoint_extracts(tmp_path):
    from panoconv.tf_reference._tf import import_tf

    tf = import_tf()
    kernel = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    tf.train.Checkpoint(conv=tf.Variable(kernel)).save(str(tmp_path / "tf2" / "ckpt"))
    manifest = extract(ExtractRequest(tmp_path / "tf2", tmp_path / "w"), progress=False)
    assert {x.name for x in manifest.left_out} == {"_CHECKPOINTABLE_OBJECT_GRAPH",
                                                   "save_counter/.ATTRIBUTES/VARIABLE_VALUE"}
    assert manifest.global_step == 1
    np.testing.assert_array_equal(open_store(tmp_path / "w").read("conv/.ATTRIBUTES/VARIABLE_VALUE"), kernel)


def test_keras_weights_h5_extracts(tmp_path):
    from panoconv.tf_reference._tf import import_tf

    import_tf()
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, name="d1")])
    model.save_weights(str(tmp_path / "k.weights.h5"))
    manifest = extract(ExtractRequest(tmp_path / "k.weights.h5", tmp_path / "w.npz", format="npz"),
                       progress=False)
    store = open_store(tmp_path / "w.npz")
    assert store.names() == [t.name for t in manifest.tensors]
    assert store.names() == ["layers/dense/vars/0", "layers/dense/vars/1"]
    for name, weight in zip(store.names(), model.get_weights()):
        np.testing.assert_array_equal(store.read(name), weight)


def test_global_step_from_the_name_when_the_checkpoint_has_none(tmp_path):
    from panoconv.readers.locate import step_from_name

    values = {k: v for k, v in small_tensors().items() if k != "Variable"}
    ckpt = write_bundle(tmp_path / "model-180000", values)
    manifest = extract(ExtractRequest(ckpt, tmp_path / "w"), progress=False)
    assert manifest.global_step == 180000
    assert json.loads((tmp_path / "w" / "manifest.json").read_text())["global_step"] == 180000
    assert step_from_name("a/model-42.index") == 42 and step_from_name("ckpt-3.data-00000-of-00001") == 3
    assert step_from_name("model") is None and step_from_name("model-x") is None
