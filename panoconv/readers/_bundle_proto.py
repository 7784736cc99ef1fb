"""A tiny protobuf decoder for the two messages of a TF tensor bundle index.

`BundleHeaderProto` (key ""): 1 num_shards int32, 2 endianness enum (0 little, 1 big), 3 version.
`BundleEntryProto`: 1 dtype enum, 2 shape TensorShapeProto, 3 shard_id int32, 4 offset int64,
5 size int64, 6 crc32c fixed32 (masked), 7 repeated slices TensorSliceProto (partitioned variables:
{1 repeated Extent {1 start int64, 2 length int64}}, no length = the whole dimension).
`TensorShapeProto`: 2 repeated Dim {1 size int64, 2 name string}, 3 unknown_rank bool.

Only what these messages use is decoded; unknown fields are skipped per the wire format, so newer
TF versions adding fields stay readable.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from panoconv.readers import limits
from panoconv.readers._sstable import read_varint

#: TF DataType enum -> numpy dtype (little-endian). DT_STRING (7) has no fixed-size numpy dtype.
DT_STRING = 7
TF_DTYPES: dict[int, np.dtype] = {
    1: np.dtype("<f4"), 2: np.dtype("<f8"), 3: np.dtype("<i4"), 4: np.dtype("u1"),
    5: np.dtype("<i2"), 6: np.dtype("i1"), 9: np.dtype("<i8"), 10: np.dtype("?"),
    17: np.dtype("<u2"), 19: np.dtype("<f2"), 22: np.dtype("<u4"), 23: np.dtype("<u8"),
    8: np.dtype("<c8"), 18: np.dtype("<c16"),
}


#: (start, length) per dimension; length -1 is the whole dimension (TF's `kFullExtent`).
Extent = tuple[int, int]


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
    slices: tuple[tuple[Extent, ...], ...] = ()

    @property
    def has_slices(self) -> bool:
        return bool(self.slices)


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


def _typed(message: str, schema: dict[int, tuple[str, int]], buf: bytes) -> Iterator[tuple[str, int | bytes]]:
    """(field name, value) of the known fields, refusing a known field stored with another wire type
    (a CRC stored as bytes, a shape stored as a number): such a file was not written by TensorFlow."""
    for field, wire, value in _fields(buf):
        if field in schema:
            name, expected = schema[field]
            if wire != expected:
                raise ValueError(f"{message}.{name} has protobuf wire type {wire}, expected {expected}")
            yield name, value


_VARINT, _FIXED32, _BYTES = 0, 5, 2
_HEADER = {1: ("num_shards", _VARINT), 2: ("endianness", _VARINT)}
_ENTRY = {1: ("dtype", _VARINT), 2: ("shape", _BYTES), 3: ("shard_id", _VARINT), 4: ("offset", _VARINT),
          5: ("size", _VARINT), 6: ("crc32c", _FIXED32), 7: ("slices", _BYTES)}
_SHAPE = {2: ("dim", _BYTES), 3: ("unknown_rank", _VARINT)}
_DIM = {1: ("size", _VARINT)}
_SLICE = {1: ("extent", _BYTES)}
_EXTENT = {1: ("start", _VARINT), 2: ("length", _VARINT)}


def parse_header(buf: bytes) -> BundleHeader:
    num_shards, big = 1, False
    for name, value in _typed("BundleHeaderProto", _HEADER, buf):
        if name == "num_shards":
            num_shards = _int64(value)
        else:
            big = value == 1
    return BundleHeader(num_shards, big)


def _parse_shape(buf: bytes) -> tuple[int, ...]:
    dims: list[int] = []
    for name, value in _typed("TensorShapeProto", _SHAPE, buf):
        if name == "dim":
            size = 0
            for _, dvalue in _typed("TensorShapeProto.Dim", _DIM, value):
                size = _int64(dvalue)
            dims.append(size)
            if len(dims) > limits.MAX_RANK:
                raise ValueError(f"more than {limits.MAX_RANK} dimensions")
        elif value:
            raise ValueError("tensor of unknown rank")
    return tuple(dims)


def _parse_slice(buf: bytes) -> tuple[Extent, ...]:
    extents: list[Extent] = []
    for _, value in _typed("TensorSliceProto", _SLICE, buf):
        start, length = 0, -1
        for name, evalue in _typed("TensorSliceProto.Extent", _EXTENT, value):
            if name == "start":
                start = _int64(evalue)
            else:
                length = _int64(evalue)
        extents.append((start, length))
        if len(extents) > limits.MAX_RANK:
            raise ValueError(f"slice of more than {limits.MAX_RANK} dimensions")
    return tuple(extents)


def parse_entry(buf: bytes) -> BundleEntry:
    kwargs: dict = {}
    slices: list[tuple[Extent, ...]] = []
    for name, value in _typed("BundleEntryProto", _ENTRY, buf):
        if name == "shape":
            kwargs["shape"] = _parse_shape(value)
        elif name == "slices":
            slices.append(_parse_slice(value))
            if len(slices) > limits.MAX_SLICES:
                raise ValueError(f"more than {limits.MAX_SLICES} slices")
        elif name == "crc32c":
            kwargs["masked_crc"] = value
        elif name == "dtype":
            kwargs["dtype"] = value
        else:
            kwargs[name] = _int64(value)
    return BundleEntry(**kwargs, slices=tuple(slices))
