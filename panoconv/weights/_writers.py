"""The three store layouts, each filled one tensor at a time from a chunked byte stream.

Every writer hashes the bytes as they pass, so no tensor is held in memory twice (the folder and
npz writers hold none at all: chunks go straight to disk; HDF5 needs the whole array per write).
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np

from panoconv.readers import Sink, TensorInfo, array_from_stream
from panoconv.weights.manifest import Manifest, TensorRecord
from panoconv.weights.naming import child

#: Calls the checkpoint reader: stream(name, sink).
StreamFn = Callable[[str, Sink], None]
MANIFEST_NAME = "manifest.json"
H5_MANIFEST_ATTR = "panoconv_manifest"


def _npy_header(info: TensorInfo) -> bytes:
    buf = io.BytesIO()
    header = {"descr": np.lib.format.dtype_to_descr(info.dtype), "fortran_order": False,
              "shape": tuple(info.shape)}
    np.lib.format.write_array_header_1_0(buf, header)
    return buf.getvalue()


class _Hashing:
    """A sink that forwards chunks, hashes and counts them, and reports progress."""

    def __init__(self, forward: Sink, progress: Callable[[int], object]) -> None:
        self.forward, self.progress = forward, progress
        self.digest, self.bytes = hashlib.sha256(), 0

    def __call__(self, chunk: bytes) -> None:
        self.forward(chunk)
        self.digest.update(chunk)
        self.bytes += len(chunk)
        self.progress(len(chunk))

    def record(self, info: TensorInfo, file: str) -> TensorRecord:
        return TensorRecord(info.name, file, tuple(info.shape), info.dtype.name, self.digest.hexdigest(),
                            self.bytes)


class FolderWriter:
    """One `.npy` per tensor plus `manifest.json`, inside a (temporary) folder."""

    def __init__(self, root: Path, file_names: dict[str, str]) -> None:
        self.root, self.file_names = Path(root), file_names

    def add(self, info: TensorInfo, stream: StreamFn, progress: Callable[[int], object]) -> TensorRecord:
        fname = self.file_names[info.name]
        with open(child(self.root, fname), "xb") as f:
            f.write(_npy_header(info))
            sink = _Hashing(f.write, progress)
            stream(info.name, sink)
        return sink.record(info, fname)

    def finish(self, manifest: Manifest) -> None:
        (self.root / MANIFEST_NAME).write_text(manifest.to_json(), encoding="utf-8")

    def close(self) -> None:
        pass


class NpzWriter:
    """An uncompressed `.npz` (np.load reads it); each member is streamed into the zip."""

    def __init__(self, path: Path, file_names: dict[str, str]) -> None:
        self.file_names = file_names
        self.zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True)

    def add(self, info: TensorInfo, stream: StreamFn, progress: Callable[[int], object]) -> TensorRecord:
        fname = self.file_names[info.name]
        with self.zip.open(fname, "w", force_zip64=True) as member:
            member.write(_npy_header(info))
            sink = _Hashing(member.write, progress)
            stream(info.name, sink)
        return sink.record(info, fname)

    def finish(self, manifest: Manifest) -> None:
        self.zip.writestr(MANIFEST_NAME, manifest.to_json())

    def close(self) -> None:
        self.zip.close()


class H5Writer:
    """One flat HDF5 dataset per tensor, manifest in a root attribute.

    Datasets are named like the `.npy` files without the suffix (`model.encoder.Conv.weights:0`)
    with the TF name in their `tf_name` attribute: TF names cannot be HDF5 paths, since a variable
    (`.../weights`) would have to be both a dataset and the group of its Adam slot (`.../weights/Adam`).
    """

    def __init__(self, path: Path, file_names: dict[str, str]) -> None:
        self.file = h5py.File(path, "w")
        self.keys = {name: fname.removesuffix(".npy") for name, fname in file_names.items()}

    def add(self, info: TensorInfo, stream: StreamFn, progress: Callable[[int], object]) -> TensorRecord:
        sink = _Hashing(lambda chunk: None, progress)

        def hashing_stream(name: str, forward: Sink) -> None:
            sink.forward = forward
            stream(name, sink)

        array = array_from_stream(info, hashing_stream)
        key = self.keys[info.name]
        self.file.create_dataset(key, data=array).attrs["tf_name"] = info.name
        return sink.record(info, key)

    def finish(self, manifest: Manifest) -> None:
        self.file.attrs[H5_MANIFEST_ATTR] = manifest.to_json()

    def close(self) -> None:
        self.file.close()
