"""Open whatever the user points `convert` / `verify` at as one `TensorSource`.

A source is a raw-numpy store written by `extract` (folder with `manifest.json`, `.npz`, `.h5`), the
earlier port's folder of flattened `.npy` files, or a checkpoint read directly (TF1 prefix or any of its
files or its folder, TF2 checkpoint, Keras `.h5`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from panoconv.errors import CheckpointError

_CHECKPOINT_SUFFIXES = (".index", ".meta")


@dataclass
class OpenedSource:
    """A readable source plus what it is, for reports and provenance metadata."""

    kind: str  # "store", "legacy-numpy", "checkpoint"
    path: Path
    legacy: bool
    global_step: int | None
    fingerprint: str  # sha256 identifying the source content
    _names: list[str]
    _reader: object

    def names(self) -> list[str]:
        return list(self._names)

    def read(self, name: str) -> np.ndarray:
        return self._reader.read(name)

    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Name -> shape of every tensor, from the checkpoint index or the store's manifest (a bare folder
        of the earlier port's flattened arrays is read: it has no index)."""
        if hasattr(self._reader, "tensors"):
            return {t.name: tuple(t.shape) for t in self._reader.tensors()}
        manifest = getattr(self._reader, "manifest", None)
        if manifest:
            return {t["name"]: tuple(t["shape"]) for t in manifest["tensors"]}
        return {name: tuple(self._reader.read(name).shape) for name in self._names}


def _is_store(path: Path) -> bool:
    if path.is_dir():
        return (path / "manifest.json").exists() or any(path.glob("*.npy"))
    return path.suffix.lower() == ".npz"


def _sha256_files(paths: list[Path]) -> str:
    """One fingerprint over several files: their names and contents, in name order."""
    from panoconv.weights.manifest import file_sha256

    digest = hashlib.sha256()
    for p in sorted(paths):
        digest.update(f"{p.name}\0{file_sha256(p)}\n".encode())
    return digest.hexdigest()


def _open_store(path: Path) -> OpenedSource:
    from panoconv.weights.store import open_store

    store = open_store(path)
    legacy = bool(getattr(store, "legacy", False))
    manifest = getattr(store, "manifest", None) or {}
    if path.is_dir():
        files = [path / "manifest.json"] if (path / "manifest.json").exists() else sorted(path.glob("*.npy"))
    else:
        files = [path]
    return OpenedSource("legacy-numpy" if legacy else "store", path, legacy, manifest.get("global_step"),
                        _sha256_files(files), store.names(), store)


def _open_checkpoint(path: Path) -> OpenedSource:
    from panoconv.readers import open_checkpoint

    reader = open_checkpoint(path)
    names = [t.name for t in reader.tensors()]
    index_files = [p for p in reader.source_files if p.suffix in _CHECKPOINT_SUFFIXES or p.suffix == ".h5"]
    step = reader.global_step
    if step is None:  # no step variable saved: upstream names its files `model-<step>`
        from panoconv.readers.locate import step_from_name

        step = step_from_name(reader.path)
    return OpenedSource("checkpoint", Path(reader.path), False, step,
                        _sha256_files(index_files or list(reader.source_files)), names, reader)


def open_source(path: Path | str) -> OpenedSource:
    """Open a store or a checkpoint; raise `CheckpointError` with one line saying what is wrong."""
    path = Path(path)
    if _is_store(path):
        return _open_store(path)
    if path.suffix.lower() in (".h5", ".hdf5") and path.is_file():
        try:
            return _open_store(path)
        except CheckpointError:
            return _open_checkpoint(path)  # not an extract store: a Keras weights file
    return _open_checkpoint(path)
