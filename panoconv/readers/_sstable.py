"""Read the LevelDB-style sorted table that a TF tensor bundle uses as its `.index` file.

Layout (written by TF's `table_builder`): data blocks, a (empty) meta-index block, an index block and
a 48-byte footer. Every block is followed by a 5-byte trailer: compression type (0 = none,
1 = snappy) and the masked CRC32C of the block contents plus that type byte. Inside a block, entries
share key prefixes with the previous entry (`shared`, `non_shared`, `value_len` varints, then the
key suffix and the value), and the block ends with restart offsets and their count (fixed32 each).
The index block maps a separator key to the `BlockHandle` (offset, size varints) of each data block.

We walk every block sequentially; restart points are only needed for binary search, which a
reader that lists the whole table does not do. The file is hostile until proven otherwise: data
blocks must follow each other forwards (a handle pointing back, or at the index block, would make
the walk revisit bytes forever), keys must be strictly increasing, and the total length of the
expanded keys is bounded by the file size, so parsing is linear in the file.
"""

from __future__ import annotations

import os
import stat
import struct
from collections.abc import Iterator
from pathlib import Path

import crc32c

from panoconv.errors import CheckpointError
from panoconv.readers import limits

FOOTER_SIZE = 48
TABLE_MAGIC = 0xDB4775248B80FB57
BLOCK_TRAILER_SIZE = 5
_MASK_DELTA = 0xA282EAD8


def mask_crc(crc: int) -> int:
    """TF/LevelDB store CRCs masked so that a CRC of data holding CRCs is not degenerate."""
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + _MASK_DELTA) & 0xFFFFFFFF


def unmask_crc(masked: int) -> int:
    rot = (masked - _MASK_DELTA) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF


def read_varint(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    """Decode a base-128 varint at `pos` (at most 10 bytes, 64 bits); returns (value, next position)."""
    result = 0
    shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("varint runs past the end of the buffer")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result & 0xFFFFFFFFFFFFFFFF, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint longer than 10 bytes")


def read_regular_file(path: Path, limit: int, what: str) -> bytes:
    """The whole file, refusing FIFOs, devices and anything over `limit` before reading a byte."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as err:
        raise CheckpointError(f"{path}: cannot read ({err.strerror})") from None
    with os.fdopen(fd, "rb", buffering=0) as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise CheckpointError(f"{path}: not a regular file")
        if st.st_size > limit:
            raise CheckpointError(f"{path}: {what} is {st.st_size} bytes, over the {limit}-byte limit")
        return f.read(st.st_size + 1)[: st.st_size]


class SSTable:
    """All (key, value) pairs of one table file, in file (= sorted key) order."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._data = read_regular_file(self.path, limits.MAX_INDEX_BYTES, "checkpoint index")

    def _fail(self, what: str) -> CheckpointError:
        return CheckpointError(f"{self.path}: corrupt checkpoint index ({what})")

    def items(self) -> Iterator[tuple[bytes, bytes]]:
        """Yield every entry of every data block: keys strictly increasing, each block read once."""
        index_offset, index_size = self._index_handle()
        budget = max(limits.MIN_KEY_BUDGET, limits.KEY_GROWTH * len(self._data))
        next_free = 0  # data blocks are written one after another, before the index block
        previous: bytes | None = None
        for _, handle in self._block_entries((index_offset, index_size)):
            try:
                offset, pos = read_varint(handle, 0)
                size, _ = read_varint(handle, pos)
            except ValueError as err:
                raise self._fail(f"bad block handle: {err}") from None
            if offset < next_free or offset + size + BLOCK_TRAILER_SIZE > index_offset:
                raise self._fail(f"block handle ({offset}, +{size}) points back or past the data blocks")
            next_free = offset + size + BLOCK_TRAILER_SIZE
            for key, value in self._block_entries((offset, size)):
                budget -= len(key)
                if budget < 0:
                    raise self._fail("keys expand far beyond the file size (shared-prefix growth)")
                if previous is not None and key <= previous:
                    what = "duplicate" if key == previous else "unsorted"
                    raise self._fail(f"{what} key {key[:80]!r}")
                previous = key
                yield key, value

    def _index_handle(self) -> tuple[int, int]:
        data = self._data
        if len(data) < FOOTER_SIZE:
            raise self._fail(f"file is {len(data)} bytes, shorter than the {FOOTER_SIZE}-byte footer")
        footer = data[-FOOTER_SIZE:]
        (magic,) = struct.unpack("<Q", footer[-8:])
        if magic != TABLE_MAGIC:
            raise self._fail("bad magic number; truncated or not a TensorFlow checkpoint index")
        try:
            _, pos = read_varint(footer, 0)  # meta-index offset
            _, pos = read_varint(footer, pos)  # meta-index size
            offset, pos = read_varint(footer, pos)
            size, _ = read_varint(footer, pos)
        except ValueError as err:
            raise self._fail(str(err)) from None
        return offset, size

    def _block(self, offset: int, size: int) -> bytes:
        end = offset + size + BLOCK_TRAILER_SIZE
        if end > len(self._data) - FOOTER_SIZE:
            raise self._fail(f"block at {offset} (+{size}) runs past the end of the file")
        contents = self._data[offset:offset + size]
        kind = self._data[offset + size]
        (stored,) = struct.unpack("<I", self._data[offset + size + 1:end])
        if crc32c.crc32c(self._data[offset:offset + size + 1]) != unmask_crc(stored):
            raise self._fail(f"CRC mismatch in block at byte {offset}")
        if kind == 1:
            raise CheckpointError(f"{self.path}: index blocks are snappy-compressed, which panoconv "
                                  "does not read; re-save the checkpoint with TensorFlow's defaults")
        if kind != 0:
            raise self._fail(f"unknown block compression type {kind}")
        return contents

    def _block_entries(self, handle: tuple[int, int]) -> Iterator[tuple[bytes, bytes]]:
        """Entries of one block. Keys restart at each block (LevelDB's first entry shares nothing)."""
        block = self._block(*handle)
        if len(block) < 4:
            raise self._fail("block shorter than its restart count")
        (num_restarts,) = struct.unpack("<I", block[-4:])
        limit = len(block) - 4 - 4 * num_restarts
        if limit < 0:
            raise self._fail("restart array larger than its block")
        pos = 0
        key = b""
        try:
            while pos < limit:
                shared, pos = read_varint(block, pos)
                non_shared, pos = read_varint(block, pos)
                value_len, pos = read_varint(block, pos)
                if shared > len(key) or pos + non_shared + value_len > limit:
                    raise ValueError("entry runs past its block")
                if shared + non_shared > limits.MAX_KEY_BYTES:
                    raise ValueError(f"key of {shared + non_shared} bytes (limit {limits.MAX_KEY_BYTES})")
                key = key[:shared] + block[pos:pos + non_shared]
                pos += non_shared
                yield key, block[pos:pos + value_len]
                pos += value_len
        except ValueError as err:
            raise self._fail(str(err)) from None
