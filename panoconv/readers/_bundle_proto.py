"""A tiny protobuf decoder for the two messages of a TF tensor bundle index.

`BundleHeaderProto` (key ""): 1 num_shards int32, 2 endianness enum (0 little, 1 big), 3 version.
`BundleEntryProto`: 1 dtype enum, 2 shape TensorShapeProto, 3 shard_id int32, 4 offset int64,
5 size int64, 6 crc32c fixed32 (masked), 7 slices (partitioned variables; not supported here).
`TensorShapeProto`: 2 repeated Dim {1 size int64, 2 name string}, 3 unknown_rank bool.

Only what these messages use is decoded; unknown fields are skipped per the wire format, so newer
TF versions adding fields stay readable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from panoconv.readers._sstable import read_varint

#: TF DataType enum -> numpy dtype (little-endian). DT_STRING (7) has no fixed-size numpy dtype.
DT_STRING = 7
TF_DTYPES: dict[int, np.dtype] = {
    1: np.dtype("<f4"), 2: np.dtype("<f8"), 3: np.dtype("<i4"), 4: np.dtype("u1"),
    5: np.dtype("<i2"), 6: np.dtype("i1"), 9: np.dtype("<i8"), 10: np.dtype("?"),
    17: np.dtype("<u2"), 19: np.dtype("<f2"), 22: np.dtype("<u4"), 23: np.dtype("<u8"),
    8: np.dtype("<c8"), 18: np.dtype("<c16"),
}


@dataclass(frozen=True)
class BundleHeader:
    num_shards: int = 1
    big_endian: bool = False


@dataclass(frozen=True)
class BundleEntry:
    dtype: int = 0
    shape: tuple[int, ...] = ()
    shard_id: int = 0
    offset: int = 0
    size: int = 0
    masked_crc: int = 0
    has_slices: bool = False


def _fields(buf: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """Yield (field number, wire type, value) for each field of a serialized message."""
    pos = 0
    while pos < len(buf):
        tag, pos = read_varint(buf, pos)
        field, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = read_varint(buf, pos)
        elif wire == 1:
            value, pos = int.from_bytes(buf[pos:pos + 8], "little"), pos + 8
        elif wire == 2:
            length, pos = read_varint(buf, pos)
            value, pos = bytes(buf[pos:pos + length]), pos + length
        elif wire == 5:
            value, pos = int.from_bytes(buf[pos:pos + 4], "little"), pos + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        if pos > len(buf):
            raise ValueError("protobuf field runs past the end of the message")
        yield field, wire, value


def _int64(value: int) -> int:
    """Varints hold negative int64s as 64-bit two's complement."""
    return value - (1 << 64) if value >= 1 << 63 else value


def parse_header(buf: bytes) -> BundleHeader:
    num_shards, big = 1, False
    for field, _, value in _fields(buf):
        if field == 1:
            num_shards = _int64(value)
        elif field == 2:
            big = value == 1
    return BundleHeader(num_shards, big)


def _parse_shape(buf: bytes) -> tuple[int, ...]:
    dims: list[int] = []
    for field, _, value in _fields(buf):
        if field == 2:
            size = 0
            for dfield, _, dvalue in _fields(value):
                if dfield == 1:
                    size = _int64(dvalue)
            dims.append(size)
        elif field == 3 and value:
            raise ValueError("tensor of unknown rank")
    return tuple(dims)


def parse_entry(buf: bytes) -> BundleEntry:
    kwargs: dict = {}
    for field, _, value in _fields(buf):
        if field == 1:
            kwargs["dtype"] = value
        elif field == 2:
            kwargs["shape"] = _parse_shape(value)
        elif field == 3:
            kwargs["shard_id"] = _int64(value)
        elif field == 4:
            kwargs["offset"] = _int64(value)
        elif field == 5:
            kwargs["size"] = _int64(value)
        elif field == 6:
            kwargs["masked_crc"] = value
        elif field == 7:
            kwargs["has_slices"] = True
    return BundleEntry(**kwargs)

