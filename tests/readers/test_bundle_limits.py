"""Hostile tensor bundles crafted byte by byte: every declared length, offset and shape is checked."""

from __future__ import annotations

import os
import time

import crc32c
import numpy as np
import pytest

from panoconv.errors import CheckpointError
from panoconv.readers import open_checkpoint
from panoconv.readers._sstable import mask_crc
from tests.readers._bundles import small_tensors
from tests.readers._craft import (
    block_body,
    bundle_entries,
    entry_proto,
    field,
    header_proto,
    shape_proto,
    table,
    varint,
    write_bundle_py,
    write_files,
)


def _one(tmp_path, name: bytes, value: bytes, data: bytes = b"\0" * 64, num_shards: int = 1):
    index = table([block_body([(b"", header_proto(num_shards)), (name, value)])])
    return write_files(tmp_path / "m", index, data, num_shards)


def _crc(raw: bytes) -> int:
    return mask_crc(crc32c.crc32c(raw))


def test_smoke_python_written_bundle_reads_back(tmp_path):
    reader = open_checkpoint(write_bundle_py(tmp_path / "m", small_tensors()))
    for name, value in small_tensors().items():
        np.testing.assert_array_equal(reader.read(name), value)
    assert reader.global_step == 1234


@pytest.mark.parametrize("shape, match", [
    ((-1, 4), "negative dimension"),
    ((1 << 33, 1 << 33), "declares"),  # product overflows int64 (np.prod would wrap to 0)
    ((1 << 62, 4), "declares|too large"),
    ((1,) * 33, "dimensions"),
])
def test_exception_impossible_shapes(tmp_path, shape, match):
    prefix = _one(tmp_path, b"v", entry_proto(1, shape, 0, 16, 0))
    with pytest.raises(CheckpointError, match=match):
        open_checkpoint(prefix)


def test_exception_int64_overflow_to_zero_is_not_an_empty_tensor(tmp_path):
    prefix = _one(tmp_path, b"v", entry_proto(1, (1 << 32, 1 << 32, 16), 0, 0, 0))
    with pytest.raises(CheckpointError, match="impossible shape for 'v'"):
        open_checkpoint(prefix)


def test_exception_size_larger_than_declared_or_shard(tmp_path):
    raw = np.zeros(4, np.float32).tobytes()
    with pytest.raises(CheckpointError, match=r"corrupt entry for 'v'.*size 32"):
        open_checkpoint(_one(tmp_path, b"v", entry_proto(1, (4,), 0, 32, _crc(raw)), data=raw))
    with pytest.raises(CheckpointError, match=r"truncated; tensor 'v' needs bytes 8..24 of 16"):
        open_checkpoint(_one(tmp_path, b"v", entry_proto(1, (4,), 8, 16, _crc(raw)), data=raw))


def test_exception_crc_stored_as_bytes(tmp_path):
    value = field(1, 1) + field(2, shape_proto((1,))) + field(5, 4) + field(6, b"\x01\x02\x03\x04")
    with pytest.raises(CheckpointError, match=r"crc32c has protobuf wire type 2, expected 5"):
        open_checkpoint(_one(tmp_path, b"v", value))


@pytest.mark.parametrize("num_shards", [0, -3, 10**6])
def test_exception_bad_shard_count(tmp_path, num_shards):
    with pytest.raises(CheckpointError, match="data shards"):
        open_checkpoint(_one(tmp_path, b"v", entry_proto(1, (1,), 0, 4, 0), num_shards=num_shards))


@pytest.mark.parametrize("keys, what", [
    ([b"a", b"a"], "duplicate key b'a'"),
    ([b"b", b"a"], "unsorted key b'a'"),
])
def test_exception_duplicate_or_unsorted_keys_name_the_key(tmp_path, keys, what):
    entries = [(b"", header_proto())] + [(k, entry_proto(1, (1,), 0, 4, _crc(b"\0" * 4))) for k in keys]
    prefix = write_files(tmp_path / "m", table([block_body(entries, share=False)]), b"\0" * 4)
    with pytest.raises(CheckpointError, match=what):
        open_checkpoint(prefix)


def test_exception_duplicate_key_across_blocks(tmp_path):
    entries, data = bundle_entries(small_tensors())
    blocks = [block_body(entries[:3]), block_body(entries[2:])]  # entry 2 in both blocks
    with pytest.raises(CheckpointError, match="duplicate key"):
        open_checkpoint(write_files(tmp_path / "m", table(blocks), data))


@pytest.mark.parametrize("handles", [[(0, None), (0, None)], [(None, None), (0, None)]])
def test_exception_block_handles_pointing_back(tmp_path, handles):
    """Handles at the same block or an earlier one would revisit bytes (a hang with many handles)."""
    entries, data = bundle_entries(small_tensors())
    blocks = [block_body(entries[:3]), block_body(entries[3:])]
    true = [(0, len(blocks[0])), (len(blocks[0]) + 5, len(blocks[1]))]
    chosen = [(true[i][0] if o is None else o, true[0][1] if o == 0 else true[i][1])
              for i, (o, _) in enumerate(handles)]
    with pytest.raises(CheckpointError, match="points back"):
        open_checkpoint(write_files(tmp_path / "m", table(blocks, handles=chosen), data))


def test_exception_many_handles_at_one_block_is_fast(tmp_path):
    entries, data = bundle_entries(small_tensors())
    body = block_body(entries)
    start = time.perf_counter()
    with pytest.raises(CheckpointError, match="points back"):
        open_checkpoint(write_files(tmp_path / "m", table([body], handles=[(0, len(body))] * 20000), data))
    assert time.perf_counter() - start < 5


def test_exception_key_growth_through_shared_prefix_is_bounded(tmp_path):
    """Each entry shares the whole previous key and adds one byte: quadratic without a bound."""
    body = bytearray(varint(0) + varint(0) + varint(len(header_proto())) + header_proto())
    for i in range(60000):
        body += varint(i) + varint(1) + varint(0) + b"a"
    body += (0).to_bytes(4, "little") + (1).to_bytes(4, "little")
    start = time.perf_counter()
    with pytest.raises(CheckpointError, match=r"key of \d+ bytes|keys expand"):
        open_checkpoint(write_files(tmp_path / "m", table([bytes(body)]), b""))
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize("handle", [b"\xff" * 11, b"\x00", b""])
def test_exception_bad_handle_bytes(tmp_path, handle):
    entries, data = bundle_entries(small_tensors())
    with pytest.raises(CheckpointError, match="bad block handle"):
        open_checkpoint(write_files(tmp_path / "m", table([block_body(entries)], handles=[handle]), data))


def test_exception_fifo_index_is_refused_without_hanging(tmp_path):
    os.mkfifo(tmp_path / "m.index")
    (tmp_path / "m.data-00000-of-00001").write_bytes(b"")
    with pytest.raises(CheckpointError, match="not a regular file"):
        open_checkpoint(tmp_path / "m")
