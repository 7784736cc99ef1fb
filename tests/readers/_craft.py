"""Tensor bundles written byte by byte in Python, to craft the damaged and hostile ones TF never writes.

`write_bundle_py(prefix, tensors)` writes a valid checkpoint (the fuzz suite's seed); the helpers
below build each layer (protobuf fields, table blocks, footer) so a test can break exactly one thing.
"""

from __future__ import annotations

from pathlib import Path

import crc32c
import numpy as np

from panoconv.readers._sstable import TABLE_MAGIC, mask_crc

DTYPE_ENUM = {np.dtype("<f4"): 1, np.dtype("<f8"): 2, np.dtype("<i4"): 3, np.dtype("<i8"): 9,
              np.dtype("<f2"): 19, np.dtype("u1"): 4}


def varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def field(number: int, value: int | bytes, wire: int | None = None) -> bytes:
    """One protobuf field; ints as varints unless `wire` says otherwise (5 = fixed32, 2 = bytes)."""
    if wire is None:
        wire = 2 if isinstance(value, bytes) else 0
    tag = varint(number << 3 | wire)
    if wire == 0:
        return tag + varint(value)
    if wire == 5:
        return tag + int(value).to_bytes(4, "little")
    if wire == 1:
        return tag + int(value).to_bytes(8, "little")
    return tag + varint(len(value)) + value


def shape_proto(shape) -> bytes:
    return b"".join(field(2, field(1, d)) for d in shape)


def entry_proto(dtype: int, shape, offset: int, size: int, crc: int, shard: int = 0,
                slices: list[bytes] = ()) -> bytes:
    return (field(1, dtype) + field(2, shape_proto(shape)) + (field(3, shard) if shard else b"")
            + (field(4, offset) if offset else b"") + field(5, size) + field(6, crc, wire=5)
            + b"".join(field(7, s) for s in slices))


def header_proto(num_shards: int = 1) -> bytes:
    return field(1, num_shards) + field(3, field(1, 1))


def block_body(entries: list[tuple[bytes, bytes]], share: bool = True) -> bytes:
    """Entries with LevelDB prefix sharing against the previous key, one restart point."""
    out = bytearray()
    previous = b""
    for key, value in entries:
        shared = 0
        if share:
            while shared < min(len(key), len(previous)) and key[shared] == previous[shared]:
                shared += 1
        out += varint(shared) + varint(len(key) - shared) + varint(len(value)) + key[shared:] + value
        previous = key
    return bytes(out) + (0).to_bytes(4, "little") + (1).to_bytes(4, "little")


def trailer(body: bytes, kind: int = 0) -> bytes:
    return bytes([kind]) + mask_crc(crc32c.crc32c(body + bytes([kind]))).to_bytes(4, "little")


def table(blocks: list[bytes], handles: list[tuple[int, int] | bytes] | None = None) -> bytes:
    """Data block bodies, an empty meta-index, an index block (one handle per block) and the footer.
    `handles` replaces the true handles (to point them anywhere; bytes are written as they are)."""
    out = bytearray()
    true_handles = []
    for body in blocks:
        true_handles.append((len(out), len(body)))
        out += body + trailer(body)
    meta = block_body([])
    meta_handle = (len(out), len(meta))
    out += meta + trailer(meta)
    index_entries = [(b"k%05d" % i, h if isinstance(h, bytes) else varint(h[0]) + varint(h[1]))
                     for i, h in enumerate(handles or true_handles)]
    index = block_body(index_entries)
    index_handle = (len(out), len(index))
    out += index + trailer(index)
    footer = b"".join(map(varint, (*meta_handle, *index_handle)))
    out += footer.ljust(40, b"\0") + TABLE_MAGIC.to_bytes(8, "little")
    return bytes(out)


def bundle_entries(tensors: dict[str, np.ndarray]) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """(sorted index entries with the header first, data shard bytes) for `tensors`."""
    data = bytearray()
    entries = [(b"", header_proto())]
    for name in sorted(tensors):
        array = np.array(tensors[name], order="C")
        raw = array.tobytes()
        crc = mask_crc(crc32c.crc32c(raw))
        value = entry_proto(DTYPE_ENUM[array.dtype], array.shape, len(data), len(raw), crc)
        entries.append((name.encode(), value))
        data += raw
    return entries, bytes(data)


def write_files(prefix: Path, index: bytes, data: bytes, num_shards: int = 1) -> Path:
    Path(f"{prefix}.index").write_bytes(index)
    Path(f"{prefix}.data-00000-of-{num_shards:05d}").write_bytes(data)
    return Path(prefix)


def write_bundle_py(prefix: Path, tensors: dict[str, np.ndarray], per_block: int = 3) -> Path:
    """A valid bundle, several data blocks of `per_block` entries each."""
    entries, data = bundle_entries(tensors)
    blocks = [block_body(entries[i:i + per_block]) for i in range(0, len(entries), per_block)]
    return write_files(prefix, table(blocks), data)
