"""The native tensor-bundle reader agrees bit for bit with TensorFlow and rejects damaged files."""

from __future__ import annotations

import numpy as np
import pytest

from panoconv.readers import open_checkpoint
from panoconv.readers._sstable import FOOTER_SIZE, mask_crc, read_varint
from panoconv.readers.tf_bundle import BundleReader
from panoconv.errors import CheckpointError
from tests.readers._bundles import small_tensors, write_bundle

pytestmark = pytest.mark.tf


def _tf_reader(prefix):
    from panoconv.tf_reference._tf import import_tf

    return import_tf().train.load_checkpoint(str(prefix))


def test_matches_tensorflow_bitwise_with_optimizer(tf_checkpoint_with_optimizer):
    reader = open_checkpoint(tf_checkpoint_with_optimizer)
    ref = _tf_reader(tf_checkpoint_with_optimizer)
    shapes = ref.get_variable_to_shape_map()
    assert {t.name for t in reader.tensors()} == set(shapes)
    assert len(shapes) == 64 * 3 + 3  # variables, two Adam slots each, beta powers, step
    for info in reader.tensors():
        ours, theirs = reader.read(info.name), ref.get_tensor(info.name)
        assert ours.shape == theirs.shape == tuple(shapes[info.name])
        assert ours.dtype == theirs.dtype
        assert ours.tobytes() == np.ascontiguousarray(theirs).tobytes(), info.name
    assert reader.global_step == 180000
    assert reader.skipped == {}


def test_small_chunks_stream_the_same_bytes(tf_checkpoint, seeded_tf_weights):
    reader = BundleReader(tf_checkpoint, chunk_bytes=4096)
    for name in ["model/decoder/Conv_1/weights", "model/encoder/Conv/biases"]:
        chunks: list[bytes] = []
        reader.stream(name, lambda chunk: chunks.append(bytes(chunk)))  # chunks are reused views
        assert max(map(len, chunks)) <= 4096
        assert b"".join(chunks) == seeded_tf_weights[name].tobytes()


def test_dtypes_and_scalars(tmp_path):
    values = small_tensors()
    reader = open_checkpoint(write_bundle(tmp_path / "small", values))
    for name, value in values.items():
        got = reader.read(name)
        assert got.dtype == np.asarray(value).dtype and got.shape == np.shape(value)
        np.testing.assert_array_equal(got, value)
    assert reader.global_step == 1234


def test_tf2_checkpoint_values_and_string_tensor_skipped(tmp_path):
    from panoconv.tf_reference._tf import import_tf

    tf = import_tf()
    a = tf.Variable(np.arange(12, dtype=np.float32).reshape(3, 4))
    b = tf.Variable(np.array([1.5, -2.0], dtype=np.float64))
    path = tf.train.Checkpoint(dense=a, extra=b).save(str(tmp_path / "ckpt"))
    reader = open_checkpoint(tmp_path)
    assert reader.path == tmp_path / "ckpt-1" and str(reader.path) == path
    np.testing.assert_array_equal(reader.read("dense/.ATTRIBUTES/VARIABLE_VALUE"), a.numpy())
    np.testing.assert_array_equal(reader.read("extra/.ATTRIBUTES/VARIABLE_VALUE"), b.numpy())
    assert "_CHECKPOINTABLE_OBJECT_GRAPH" in reader.skipped
    assert reader.global_step == 1  # the save counter


@pytest.fixture
def small_ckpt(tmp_path):
    return write_bundle(tmp_path / "ckpt" / "model", small_tensors())


def _data(prefix):
    return prefix.parent / f"{prefix.name}.data-00000-of-00001"


def test_exception_corrupted_data_byte(small_ckpt):
    data = _data(small_ckpt)
    raw = bytearray(data.read_bytes())
    raw[10] ^= 0x01
    data.write_bytes(bytes(raw))
    reader = open_checkpoint(small_ckpt)
    errors = []
    for info in reader.tensors():
        try:
            reader.read(info.name)
        except CheckpointError as err:
            errors.append(str(err))
    assert len(errors) == 1 and "CRC mismatch" in errors[0] and str(data) in errors[0]


def test_exception_truncated_data(small_ckpt):
    data = _data(small_ckpt)
    data.write_bytes(data.read_bytes()[:-8])
    reader = open_checkpoint(small_ckpt)
    with pytest.raises(CheckpointError, match="truncated"):
        for info in reader.tensors():
            reader.read(info.name)


def test_exception_missing_data(small_ckpt):
    _data(small_ckpt).unlink()
    with pytest.raises(CheckpointError, match="data file is missing"):
        open_checkpoint(small_ckpt)


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty"])
def test_exception_damaged_index(small_ckpt, damage):
    index = small_ckpt.parent / f"{small_ckpt.name}.index"
    raw = bytearray(index.read_bytes())
    if damage == "flip":
        raw[20] ^= 0x40
    elif damage == "truncate":
        raw = raw[: len(raw) // 2]
    else:
        raw = bytearray()
    index.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match="corrupt checkpoint index") as err:
        open_checkpoint(small_ckpt)
    assert str(index) in str(err.value)


def test_exception_snappy_block_is_named(small_ckpt):
    """A compressed block (type 1) with a valid CRC gets its own clear message."""
    import crc32c

    index = small_ckpt.parent / f"{small_ckpt.name}.index"
    raw = bytearray(index.read_bytes())
    footer = bytes(raw[-FOOTER_SIZE:])
    _, pos = read_varint(footer, 0)
    _, pos = read_varint(footer, pos)
    offset, pos = read_varint(footer, pos)
    size, _ = read_varint(footer, pos)
    raw[offset + size] = 1
    crc = mask_crc(crc32c.crc32c(bytes(raw[offset:offset + size + 1])))
    raw[offset + size + 1:offset + size + 5] = crc.to_bytes(4, "little")
    index.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match="snappy"):
        open_checkpoint(small_ckpt)

