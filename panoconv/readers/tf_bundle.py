"""Native reader of TensorFlow's tensor-bundle checkpoint format (TF1 `Saver` and TF2 `Checkpoint`).

A checkpoint `<prefix>` is `<prefix>.index`, a sorted table (see `_sstable`) whose entry "" is a
`BundleHeaderProto` (shard count, endianness) and whose other entries map each tensor name to a
`BundleEntryProto` (dtype, shape, shard, offset, size, masked CRC32C), plus the shards
`<prefix>.data-0000i-of-0000N` holding the raw little-endian tensor bytes. Partitioned variables are
reassembled from their slices (`_slices`).

Reading without TensorFlow keeps `extract` light and lets us stream each tensor in fixed-size chunks
while checking its CRC, so peak memory stays near one chunk instead of one (or all) tensors. Every
entry is checked against the shard sizes and `limits` when the index is opened, before any read.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import crc32c
import numpy as np

from panoconv.errors import CheckpointError
from panoconv.readers import _bundle_proto as proto
from panoconv.readers import limits
from panoconv.readers._slices import check_tiling, slice_bounds, slice_key
from panoconv.readers._sstable import SSTable, unmask_crc
from panoconv.readers._types import Sink, TensorInfo, array_from_stream, find_global_step

log = logging.getLogger(__name__)

CHUNK_BYTES = 8 << 20
#: One slice of a partitioned variable: (start, stop) per dimension and the entry holding its bytes.
Part = tuple[tuple[tuple[int, int], ...], proto.BundleEntry]


def data_file(prefix: Path, shard: int, num_shards: int) -> Path:
    return Path(f"{prefix}.data-{shard:05d}-of-{num_shards:05d}")


class BundleReader:
    """A `CheckpointReader` over one tensor bundle; the index is parsed once, data read on demand."""

    def __init__(self, prefix: Path, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.path = Path(prefix)
        self.chunk_bytes = chunk_bytes
        self._index = index = Path(f"{prefix}.index")
        header, entries, slice_entries = self._parse_index(index)
        if header is None:
            raise CheckpointError(f"{index}: not a tensor bundle index (no header entry)")
        if header.big_endian:
            raise CheckpointError(f"{index}: big-endian checkpoints are not supported")
        if not 1 <= header.num_shards <= limits.MAX_SHARDS:
            raise CheckpointError(f"{index}: header claims {header.num_shards} data shards")
        self.num_shards = header.num_shards
        self.skipped: dict[str, str] = {}
        self._entries: dict[str, proto.BundleEntry] = {}
        self._parts: dict[str, list[Part]] = {}
        self._infos: list[TensorInfo] = []
        for name, entry in entries.items():
            reason = self._unreadable(entry)
            if reason:
                self.skipped[name] = reason
                continue
            if entry.has_slices:
                self._parts[name] = self._partition(name, entry, slice_entries)
            else:
                self._check_entry(name, entry)
                self._entries[name] = entry
            self._infos.append(TensorInfo(name, entry.shape, proto.TF_DTYPES[entry.dtype]))
        if slice_entries:
            raise CheckpointError(f"{index}: {len(slice_entries)} slice entries belong to no partitioned "
                                  "variable; the index is corrupt")
        self._by_name = {i.name: i for i in self._infos}
        stored = [*self._entries.values(), *(e for parts in self._parts.values() for _, e in parts)]
        self._shard_files = self._check_shards(stored)
        self.source_files: list[Path] = [index, *self._shard_files.values()]
        self.global_step = find_global_step(self._infos, self.read)
        log.debug("%s: %d tensors (%d partitioned), %d skipped, %d shard(s)", index, len(self._infos),
                  len(self._parts), len(self.skipped), self.num_shards)

    @staticmethod
    def _parse_index(index: Path):
        header: proto.BundleHeader | None = None
        entries: dict[str, proto.BundleEntry] = {}
        slice_entries: dict[bytes, proto.BundleEntry] = {}
        for key, value in SSTable(index).items():
            try:
                if key == b"":
                    header = proto.parse_header(value)
                elif key.startswith(b"\x00"):  # one slice of a partitioned variable (`_slices`)
                    slice_entries[key] = proto.parse_entry(value)
                else:
                    entries[key.decode("utf-8")] = proto.parse_entry(value)
            except (ValueError, UnicodeDecodeError) as err:
                raise CheckpointError(f"{index}: corrupt checkpoint index entry {key[:80]!r} "
                                      f"({err})") from None
        return header, entries, slice_entries

    @staticmethod
    def _unreadable(entry: proto.BundleEntry) -> str | None:
        if entry.dtype == proto.DT_STRING:
            return "string tensor (checkpoint metadata such as the TF2 object graph)"
        if entry.dtype not in proto.TF_DTYPES:
            return f"TensorFlow dtype enum {entry.dtype} has no numpy equivalent"
        return None

    def _check_entry(self, name: str, entry: proto.BundleEntry) -> None:
        try:
            expected = limits.tensor_nbytes(entry.shape, proto.TF_DTYPES[entry.dtype].itemsize)
        except ValueError as err:
            raise CheckpointError(f"{self._index}: impossible shape for {name!r}: {err}") from None
        if entry.size != expected or entry.offset < 0 or not 0 <= entry.shard_id < self.num_shards:
            raise CheckpointError(f"{self._index}: corrupt entry for {name!r} (shape {list(entry.shape)}, "
                                  f"size {entry.size}, offset {entry.offset}, shard {entry.shard_id})")

    def _partition(self, name: str, entry: proto.BundleEntry,
                   slice_entries: dict[bytes, proto.BundleEntry]) -> list[Part]:
        """The slices of a partitioned variable, each checked; taken out of `slice_entries`."""
        label = f"partitioned variable {name!r}"
        try:
            limits.tensor_nbytes(entry.shape, proto.TF_DTYPES[entry.dtype].itemsize)
            parts: list[Part] = []
            for extents in entry.slices:
                bounds = slice_bounds(entry.shape, extents)
                part = slice_entries.pop(slice_key(name.encode("utf-8"), extents), None)
                if part is None:
                    raise ValueError(f"slice {[list(b) for b in bounds]} is missing from the index")
                shape = tuple(stop - start for start, stop in bounds)
                if part.dtype != entry.dtype or part.shape != shape:
                    raise ValueError(f"slice {[list(b) for b in bounds]} holds dtype {part.dtype} shape "
                                     f"{list(part.shape)}, expected dtype {entry.dtype} shape {list(shape)}")
                parts.append((bounds, part))
            check_tiling(entry.shape, [bounds for bounds, _ in parts])
        except ValueError as err:
            raise CheckpointError(f"{self._index}: {label}: {err}") from None
        for bounds, part in parts:
            self._check_entry(f"{name} slice {[list(b) for b in bounds]}", part)
        return parts

    def _check_shards(self, stored: list[proto.BundleEntry]) -> dict[int, Path]:
        """Every shard an entry uses exists, is a regular file and holds the entry's bytes."""
        files: dict[int, Path] = {}
        sizes: dict[int, int] = {}
        for shard in sorted({e.shard_id for e in stored} | {0}):
            file = files[shard] = data_file(self.path, shard, self.num_shards)
            try:
                st = os.stat(file)
            except OSError:
                raise CheckpointError(f"{file}: checkpoint data file is missing") from None
            if not stat.S_ISREG(st.st_mode):
                raise CheckpointError(f"{file}: checkpoint data file is not a regular file")
            sizes[shard] = st.st_size
        for name, entry in self._entries.items():
            if entry.offset + entry.size > sizes[entry.shard_id]:
                raise CheckpointError(f"{files[entry.shard_id]}: truncated; tensor {name!r} needs bytes "
                                      f"{entry.offset}..{entry.offset + entry.size} of "
                                      f"{sizes[entry.shard_id]}")
        for name, parts in self._parts.items():
            for _, entry in parts:
                if entry.offset + entry.size > sizes[entry.shard_id]:
                    raise CheckpointError(f"{files[entry.shard_id]}: truncated; a slice of {name!r} needs "
                                          f"bytes {entry.offset}..{entry.offset + entry.size}")
        return files

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
        """The tensor in its true shape, CRC-verified (a partitioned one assembled from its slices)."""
        info = self.info(name)
        if name not in self._parts:
            return array_from_stream(info, self.stream)
        out = np.empty(info.shape, dtype=info.dtype)
        for bounds, entry in self._parts[name]:
            shape = tuple(stop - start for start, stop in bounds)
            part = array_from_stream(TensorInfo(name, shape, info.dtype),
                                     lambda _, sink, e=entry: self._stream_entry(name, e, sink))
            out[tuple(slice(start, stop) for start, stop in bounds)] = part
        return out

    def stream(self, name: str, sink: Sink) -> None:
        """Pass the tensor's bytes to `sink` in chunks; raise `CheckpointError` if the CRC disagrees.

        Chunks are views of one reused buffer: a sink must copy (write) them, not keep them.

        The check comes after the last chunk, so callers must write into something they can discard
        (extract writes into a temporary output that is only renamed into place on success).
        """
        self.info(name)
        if name in self._parts:  # slices are not contiguous in the full tensor: assemble, then emit
            raw = memoryview(self.read(name).reshape(-1).view(np.uint8))
            for start in range(0, len(raw), self.chunk_bytes):
                sink(raw[start:start + self.chunk_bytes])
            return
        self._stream_entry(name, self._entries[name], sink)

    def _stream_entry(self, name: str, entry: proto.BundleEntry, sink: Sink) -> None:
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
