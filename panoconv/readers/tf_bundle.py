"""Native reader of TensorFlow's tensor-bundle checkpoint format (TF1 `Saver` and TF2 `Checkpoint`).

A checkpoint `<prefix>` is `<prefix>.index`, a sorted table (see `_sstable`) whose entry "" is a
`BundleHeaderProto` (shard count, endianness) and whose other entries map each tensor name to a
`BundleEntryProto` (dtype, shape, shard, offset, size, masked CRC32C), plus the shards
`<prefix>.data-0000i-of-0000N` holding the raw little-endian tensor bytes.

Reading without TensorFlow keeps `extract` light and lets us stream each tensor in fixed-size chunks
while checking its CRC, so peak memory stays near one chunk instead of one (or all) tensors.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import crc32c
import numpy as np

from panoconv.readers import _bundle_proto as proto
from panoconv.readers._sstable import SSTable, unmask_crc
from panoconv.readers._types import Sink, TensorInfo, array_from_stream, find_global_step
from panoconv.errors import CheckpointError

log = logging.getLogger(__name__)

CHUNK_BYTES = 8 << 20


def data_file(prefix: Path, shard: int, num_shards: int) -> Path:
    return Path(f"{prefix}.data-{shard:05d}-of-{num_shards:05d}")


class BundleReader:
    """A `CheckpointReader` over one tensor bundle; the index is parsed once, data read on demand."""

    def __init__(self, prefix: Path, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.path = Path(prefix)
        self.chunk_bytes = chunk_bytes
        index = Path(f"{prefix}.index")
        header: proto.BundleHeader | None = None
        self._entries: dict[str, proto.BundleEntry] = {}
        self.skipped: dict[str, str] = {}
        for key, value in SSTable(index).items():
            try:
                if key == b"":
                    header = proto.parse_header(value)
                    continue
                name = key.decode("utf-8")
                entry = proto.parse_entry(value)
            except (ValueError, UnicodeDecodeError) as err:
                raise CheckpointError(f"{index}: corrupt checkpoint index entry {key[:80]!r} "
                                      f"({err})") from None
            self._entries[name] = entry
        if header is None:
            raise CheckpointError(f"{index}: not a tensor bundle index (no header entry)")
        if header.big_endian:
            raise CheckpointError(f"{index}: big-endian checkpoints are not supported")
        if header.num_shards < 1:
            raise CheckpointError(f"{index}: header claims {header.num_shards} data shards")
        self.num_shards = header.num_shards
        self._infos: list[TensorInfo] = []
        for name, entry in self._entries.items():
            reason = self._unreadable(entry)
            if reason:
                self.skipped[name] = reason
            else:
                self._infos.append(TensorInfo(name, entry.shape, proto.TF_DTYPES[entry.dtype]))
            self._check_entry(index, name, entry)
        self._by_name = {i.name: i for i in self._infos}
        shards = sorted({e.shard_id for n, e in self._entries.items() if n not in self.skipped} | {0})
        self._shard_files = {s: data_file(self.path, s, self.num_shards) for s in shards}
        for shard, file in self._shard_files.items():
            if not file.is_file():
                raise CheckpointError(f"{file}: checkpoint data file is missing")
        self.source_files: list[Path] = [index, *self._shard_files.values()]
        self.global_step = find_global_step(self._infos, self.read)
        log.debug("%s: %d tensors, %d skipped, %d shard(s)", index, len(self._infos),
                  len(self.skipped), self.num_shards)

    @staticmethod
    def _unreadable(entry: proto.BundleEntry) -> str | None:
        if entry.dtype == proto.DT_STRING:
            return "string tensor (checkpoint metadata such as the TF2 object graph)"
        if entry.has_slices:
            return "partitioned variable (saved in slices); not supported"
        if entry.dtype not in proto.TF_DTYPES:
            return f"TensorFlow dtype enum {entry.dtype} has no numpy equivalent"
        return None

    def _check_entry(self, index: Path, name: str, entry: proto.BundleEntry) -> None:
        if name in self.skipped:
            return
        expected = int(np.prod(entry.shape, dtype=np.int64)) * proto.TF_DTYPES[entry.dtype].itemsize
        if entry.size != expected or entry.offset < 0 or not 0 <= entry.shard_id < self.num_shards:
            raise CheckpointError(f"{index}: corrupt entry for {name!r} (shape {list(entry.shape)}, "
                                  f"size {entry.size}, offset {entry.offset}, shard {entry.shard_id})")

    def tensors(self) -> list[TensorInfo]:
        """Every numeric tensor in index order (sorted by name), optimizer state included."""
        return list(self._infos)

    def info(self, name: str) -> TensorInfo:
        info = self._by_name.get(name)
        if info is not None:
            return info
        if name in self.skipped:
            raise CheckpointError(f"{self.path}: {name!r} cannot be read: {self.skipped[name]}")
        raise CheckpointError(f"{self.path}: no tensor named {name!r}")

    def read(self, name: str) -> np.ndarray:
        """The tensor in its true shape, CRC-verified."""
        return array_from_stream(self.info(name), self.stream)

    def stream(self, name: str, sink: Sink) -> None:
        """Pass the tensor's bytes to `sink` in chunks; raise `CheckpointError` if the CRC disagrees.

        Chunks are views of one reused buffer: a sink must copy (write) them, not keep them.

        The check comes after the last chunk, so callers must write into something they can discard
        (extract writes into a temporary output that is only renamed into place on success).
        """
        self.info(name)
        entry = self._entries[name]
        file = self._shard_files[entry.shard_id]
        crc = 0
        with open(file, "rb", buffering=0) as f:
            if os.fstat(f.fileno()).st_size < entry.offset + entry.size:
                raise CheckpointError(f"{file}: truncated; tensor {name!r} needs bytes "
                                      f"{entry.offset}..{entry.offset + entry.size}")
            f.seek(entry.offset)
            buffer = memoryview(bytearray(min(self.chunk_bytes, entry.size)))  # reused: one chunk live
            remaining = entry.size
            while remaining:
                got = f.readinto(buffer[:min(len(buffer), remaining)])
                if not got:
                    raise CheckpointError(f"{file}: truncated while reading tensor {name!r}")
                chunk = buffer[:got]
                crc = crc32c.crc32c(chunk, value=crc)
                sink(chunk)
                remaining -= got
        if crc != unmask_crc(entry.masked_crc):
            raise CheckpointError(f"{file}: CRC mismatch for tensor {name!r}; the file is corrupt")
