"""Read raw-numpy weight stores: `extract` output (folder, .npz, .h5) and the earlier port's folders.

`open_store(path)` returns a `WeightStore` whose `read(name)` gives each tensor by TF name. Stores
with a manifest are verified (shape, dtype, SHA-256) on every read. A folder of `.npy` files without
a manifest is the earlier port's layout ("numpy_weight"): names come from the file names, arrays are
returned as stored (flattened to (1, N)) and `legacy` is True; reshaping is the converter's job.
Nothing is ever unpickled. A store may come from elsewhere, so every `.npy` header is checked before
its array is allocated: the declared shape must fit `readers.limits` and the bytes the member or file
really holds (a deflate bomb or a 2^40-element entry is one line, not a MemoryError), and an npz
member may not inflate far beyond what weights compress to. A store with no tensors is refused.
"""

from __future__ import annotations

import os
import pickle
import stat
import tokenize
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO, Protocol

import h5py
import numpy as np

from panoconv.errors import CheckpointError
from panoconv.readers import limits
from panoconv.readers.keras_h5 import H5Refused, read_dataset
from panoconv.weights._writers import H5_MANIFEST_ATTR, MANIFEST_NAME
from panoconv.weights.extract import ExtractRequest, extract
from panoconv.weights.manifest import Manifest, TensorRecord, array_sha256
from panoconv.weights.naming import child, tf_name_from_file

__all__ = ["ExtractRequest", "WeightStore", "extract", "open_store"]

_LOAD_ERRORS = (ValueError, OSError, EOFError, pickle.UnpicklingError, zipfile.BadZipFile, KeyError,
                zlib.error, RuntimeError, NotImplementedError)
#: A manifest is a few KB per thousand tensors.
MAX_MANIFEST_BYTES = 64 << 20
#: Weights hardly compress (float noise): a member inflating more than this many times over, beyond
#: a small allowance, is a bomb (zeros deflate 1:1000, 1 MB of file becoming 1 GiB of memory).
_MAX_INFLATE = 16
_INFLATE_ALLOWANCE = 64 << 20


def read_npy(f: BinaryIO, available: int) -> np.ndarray:
    """An `.npy` stream whose header is checked before allocating: no objects (pickles), a shape within
    `limits`, and no more data than the `available` bytes after the header. `ValueError` otherwise."""
    version = np.lib.format.read_magic(f)
    if version not in ((1, 0), (2, 0)):
        raise ValueError(f".npy format version {version} is not read")
    try:  # numpy parses the header as a Python literal; damaged ones raise all sorts of things
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
            np.lib.format.read_array_header_2_0
        shape, fortran, dtype = read_header(f)
    except (ValueError, SyntaxError, TypeError, tokenize.TokenError, MemoryError, RecursionError) as err:
        raise ValueError(f"unreadable .npy header ({type(err).__name__}: {err})") from None
    if dtype.hasobject or dtype.kind not in "biufc":
        raise ValueError(f"dtype {dtype} is not a numeric array")
    nbytes = limits.tensor_nbytes(tuple(shape), dtype.itemsize)
    if nbytes > available - f.tell():
        raise ValueError(f"header declares {list(shape)} {dtype} ({nbytes} bytes) but only "
                         f"{max(available - f.tell(), 0)} bytes follow")
    flat = np.empty(nbytes // max(dtype.itemsize, 1), dtype=dtype)
    view = memoryview(flat.view(np.uint8))
    pos = 0
    while pos < nbytes:
        got = f.readinto(view[pos:])
        if not got:
            raise ValueError(f"truncated: {pos} of {nbytes} bytes")
        pos += got
    return flat.reshape(shape[::-1]).transpose() if fortran else flat.reshape(shape)


def _regular_size(path: Path) -> int:
    """Size of a regular file (a FIFO or device named `x.npy` would block the reader)."""
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise ValueError("not a regular file")
    return st.st_size


class WeightStore(Protocol):
    path: Path
    manifest: dict | None
    legacy: bool

    def names(self) -> list[str]: ...

    def read(self, name: str) -> np.ndarray: ...


class _Store:
    """Shared lookup and verification; subclasses only know how to load one array."""

    def __init__(self, path: Path, manifest: Manifest | None, order: list[str]) -> None:
        self.path = path
        self._manifest = manifest
        self.manifest: dict | None = manifest.to_dict() if manifest else None
        self.legacy = manifest is None
        self._records: dict[str, TensorRecord] = {t.name: t for t in manifest.tensors} if manifest else {}
        self._order = order
        if not order:
            raise CheckpointError(f"{path}: the weight store holds no tensors")

    def names(self) -> list[str]:
        return list(self._order)

    def _where(self, name: str) -> str:
        raise NotImplementedError

    def _load(self, name: str) -> np.ndarray:
        raise NotImplementedError

    def read(self, name: str) -> np.ndarray:
        if name not in self._order:
            raise CheckpointError(f"{self.path}: no tensor named {name!r} in this weight store")
        where = self._where(name)
        try:
            array = self._load(name)
        except _LOAD_ERRORS as err:
            raise CheckpointError(f"{where}: not a readable numpy array ({err})") from None
        if not isinstance(array, np.ndarray) or array.dtype.kind not in "biufc":
            raise CheckpointError(f"{where}: not a numeric array")
        record = self._records.get(name)
        if record is not None:
            if tuple(array.shape) != tuple(record.shape) or array.dtype.name != record.dtype:
                raise CheckpointError(f"{where}: holds {array.dtype.name}{list(array.shape)}, manifest "
                                      f"says {record.dtype}{list(record.shape)}")
            if array_sha256(array) != record.sha256:
                raise CheckpointError(f"{where}: SHA-256 differs from the manifest; the store is corrupt")
        return array


class FolderStore(_Store):
    def __init__(self, path: Path) -> None:
        manifest_file = path / MANIFEST_NAME
        if manifest_file.is_file():
            if manifest_file.stat().st_size > MAX_MANIFEST_BYTES:
                raise CheckpointError(f"{manifest_file}: over {MAX_MANIFEST_BYTES} bytes; not a manifest")
            manifest = Manifest.from_json(manifest_file.read_bytes(), manifest_file)
            self._files = {t.name: t.file for t in manifest.tensors}
        else:
            manifest = None
            files = sorted(p.name for p in path.glob("*.npy") if not p.name.startswith("."))
            if not files:
                raise CheckpointError(f"{path}: no manifest.json and no .npy files; not a weight store")
            self._files = {}
            for fname in files:
                name = tf_name_from_file(fname)
                if name in self._files:
                    raise CheckpointError(f"{path}: files {self._files[name]!r} and {fname!r} give the "
                                          f"same tensor name {name!r}")
                self._files[name] = fname
        super().__init__(path, manifest, list(self._files))

    def _where(self, name: str) -> str:
        return str(self.path / self._files[name])

    def _load(self, name: str) -> np.ndarray:
        file = child(self.path, self._files[name])
        size = _regular_size(file)
        with open(file, "rb") as f:
            return read_npy(f, size)


class NpzStore(_Store):
    def __init__(self, path: Path) -> None:
        try:
            self._zip = zipfile.ZipFile(path)
            members = set(self._zip.namelist())
            raw = None
            if MANIFEST_NAME in members:
                if self._zip.getinfo(MANIFEST_NAME).file_size > MAX_MANIFEST_BYTES:
                    raise CheckpointError(f"{path}:{MANIFEST_NAME}: over {MAX_MANIFEST_BYTES} bytes")
                raw = self._zip.read(MANIFEST_NAME)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, zlib.error) as err:
            raise CheckpointError(f"{path}: not a readable .npz file ({err})") from None
        manifest = Manifest.from_json(raw, f"{path}:{MANIFEST_NAME}") if raw is not None else None
        if manifest:
            self._files = {t.name: t.file for t in manifest.tensors}
            missing = [f for f in self._files.values() if f not in members]
            if missing:
                raise CheckpointError(f"{path}: member {missing[0]!r} listed in the manifest is missing")
        else:
            self._files = {tf_name_from_file(m): m for m in sorted(members) if m.endswith(".npy")}
        super().__init__(path, manifest, list(self._files))

    def _where(self, name: str) -> str:
        return f"{self.path}:{self._files[name]}"

    def _load(self, name: str) -> np.ndarray:
        info = self._zip.getinfo(self._files[name])
        if info.file_size > max(_INFLATE_ALLOWANCE, _MAX_INFLATE * info.compress_size):
            raise ValueError(f"member inflates {info.compress_size} bytes to {info.file_size} "
                             "(a compression bomb)")
        with self._zip.open(info) as member:
            array = read_npy(member, info.file_size)
            if member.read(1):  # also reaches the end, where zipfile checks the member's CRC
                raise ValueError("data after the array")
        return array


class H5Store(_Store):
    def __init__(self, path: Path) -> None:
        try:
            with h5py.File(path, "r") as f:
                raw = f.attrs.get(H5_MANIFEST_ATTR)
        except (OSError, RuntimeError) as err:
            raise CheckpointError(f"{path}: not a readable HDF5 file ({err})") from None
        if raw is None:
            raise CheckpointError(f"{path}: no panoconv manifest; for Keras weights use open_checkpoint")
        manifest = Manifest.from_json(raw, f"{path}:{H5_MANIFEST_ATTR}")
        super().__init__(path, manifest, [t.name for t in manifest.tensors])

    def _where(self, name: str) -> str:
        return f"{self.path}:{name}"

    def _load(self, name: str) -> np.ndarray:
        record = self._records[name]
        try:
            return read_dataset(self.path, record.file, tuple(record.shape))
        except H5Refused as err:
            raise ValueError(str(err)) from None


def open_store(path: Path | str) -> WeightStore:
    """Open an extract folder, `.npz`, `.h5`, or a bare folder of the earlier port's `.npy` files."""
    path = Path(path)
    if path.is_dir():
        return FolderStore(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such weight store")
    with open(path, "rb") as f:
        magic = f.read(8)
    if magic.startswith(b"PK"):
        return NpzStore(path)
    if magic == b"\x89HDF\r\n\x1a\n":
        return H5Store(path)
    raise CheckpointError(f"{path}: not a weight store (expected a folder, .npz or .h5)")
