"""The native tensor-bundle reader agrees bit for bit with TensorFlow and rejects damaged files."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from panoconv.errors import CheckpointError
from panoconv.readers import open_checkpoint
from panoconv.readers._sstable import FOOTER_SIZE, mask_crc, read_varint
from panoconv.readers.tf_bundle import BundleReader
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
        reader.stream(name, lambda chunk: chunks.append(bytes(chunk)))  # chunks are reused views  # noqa: B023
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
    with pytest.raises(CheckpointError, match=r"truncated; tensor .* needs bytes"):  # at open, before reading
        open_checkpoint(small_ckpt)


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



def _write_partitioned(prefix, full, row_splits):
    """A partitioned variable `v` as TF1's Saver writes one (SaveV2 with slice specs), plus a plain `w`."""
    from panoconv.tf_reference._tf import import_tf

    tf = import_tf()
    rows, cols = full.shape
    bounds = list(itertools.pairwise(row_splits))
    specs = [f"{rows} {cols} {a},{b - a}:-" for a, b in bounds] + [""]
    tensors = [tf.constant(full[a:b]) for a, b in bounds] + [tf.constant(np.float32(7))]
    tf.raw_ops.SaveV2(prefix=str(prefix), tensor_names=["v"] * len(bounds) + ["w"], shape_and_slices=specs,
                      tensors=tensors)
    return prefix


def test_partitioned_variable_is_reassembled_from_its_slices(tmp_path):
    full = np.arange(300 * 4, dtype=np.float32).reshape(300, 4)
    prefix = _write_partitioned(tmp_path / "p", full, [0, 100, 250, 300])  # starts >= 64 use 2-byte keys
    reader = open_checkpoint(prefix)
    assert [(t.name, t.shape) for t in reader.tensors()] == [("v", (300, 4)), ("w", ())]
    np.testing.assert_array_equal(reader.read("v"), full)
    chunks: list[bytes] = []
    BundleReader(prefix, chunk_bytes=1000).stream("v", lambda c: chunks.append(bytes(c)))
    assert b"".join(chunks) == full.tobytes() and max(map(len, chunks)) <= 1000
    assert _tf_reader(prefix).get_tensor("v").tobytes() == full.tobytes()


def test_extract_writes_a_partitioned_variable_whole(tmp_path):
    from panoconv.weights.store import ExtractRequest, extract, open_store

    full = np.random.default_rng(0).standard_normal((9, 3)).astype(np.float32)
    prefix = _write_partitioned(tmp_path / "p", full, [0, 4, 9])
    extract(ExtractRequest(prefix, tmp_path / "store"), progress=False)
    np.testing.assert_array_equal(open_store(tmp_path / "store").read("v"), full)


def test_exception_partitioned_variable_with_a_missing_slice_is_named(tmp_path):
    from panoconv.readers._sstable import SSTable
    from tests.readers._craft import block_body, table, write_files

    full = np.arange(12, dtype=np.float32).reshape(6, 2)
    _write_partitioned(tmp_path / "p", full, [0, 2, 6])
    entries = list(SSTable(tmp_path / "p.index").items())
    dropped = [e for e in entries if not e[0].startswith(b"\x00\x76\x00\x01\x01\x02\x82")]  # slice at row 2
    assert len(dropped) == len(entries) - 1
    data = (tmp_path / "p.data-00000-of-00001").read_bytes()
    write_files(tmp_path / "q", table([block_body(dropped)]), data)
    missing = r"partitioned variable 'v': slice \[\[2, 6\], \[0, 2\]\] is missing"
    with pytest.raises(CheckpointError, match=missing):
        open_checkpoint(tmp_path / "q")
