"""Read Keras HDF5 weight files: Keras 3 `.weights.h5` and the legacy Keras 2 layout.

Keras 3 stores each variable as a dataset `layers/<layer>/vars/<i>` (and `optimizer/vars/<i>`);
we name tensors by that HDF5 path. Keras 2 (`save_weights("x.h5")`) lists layers in the root attr
`layer_names` (under `model_weights/` for whole-model files) and each layer's variables in its
`weight_names` attr (`dense/kernel:0`); we name tensors by those weight names without `:0`.

HDF5 can make a file read other files: external raw storage, virtual datasets and external links.
Keras never writes any of them, so all three are refused (a crafted weights file would otherwise copy
local files into the output), as are soft links; every object is visited at most once (a hard-link
cycle or an exponential DAG of links is refused), and a dataset whose declared size is far beyond
what the file stores (an unallocated 1 GiB dataset in a 2 KB file) is refused before it is read.
"""

from __future__ import annotations

import logging
import math
import re
from pathlib import Path

import h5py
import numpy as np

from panoconv.errors import CheckpointError
from panoconv.readers import limits
from panoconv.readers._types import Sink, TensorInfo, find_global_step

log = logging.getLogger(__name__)

CHUNK_BYTES = 8 << 20
#: deflate's best case is about 1:1032; storage below nbytes/this cannot hold the data.
_MAX_COMPRESSION = 1100
#: Small datasets may rely on their fill value (an all-zero bias written lazily).
_FILL_ALLOWANCE = 1 << 20


def _natural_key(name: str) -> list:
    """`vars/2` before `vars/10`, as Keras created them."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _decode(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


class H5Refused(ValueError):
    """A file structure panoconv will not follow; the message says what and where."""


def follow(group: h5py.Group, key: str):
    """`group[key]` if the link is a hard one; external and soft links are refused, saying so."""
    link = group.get(key, getlink=True)
    where = f"{group.name.rstrip('/')}/{key}"
    if link is None:
        raise KeyError(f"{where} does not exist")
    if isinstance(link, h5py.ExternalLink):
        raise H5Refused(f"{where} is an external link to {link.filename}:{link.path}; panoconv does not "
                       "follow links out of the file")
    if isinstance(link, h5py.SoftLink):
        raise H5Refused(f"{where} is a soft link to {link.path}; Keras weights have none, not followed")
    return group[key]


def check_dataset(dataset: h5py.Dataset, file_size: int) -> None:
    """Refuse data kept outside the file and sizes the file cannot hold, before anything is read."""
    where = dataset.name
    if dataset.is_virtual:
        raise H5Refused(f"{where} is a virtual dataset (its data lives in other files); not read")
    if dataset.external:
        raise H5Refused(f"{where} keeps its data in external files ({dataset.external[0][0]}, ...); not read")
    if dataset.shape is None:
        raise H5Refused(f"{where} is an empty dataset (null dataspace)")
    try:
        nbytes = limits.tensor_nbytes(tuple(dataset.shape), dataset.dtype.itemsize)
    except ValueError as err:
        raise H5Refused(f"{where}: {err}") from None
    stored = dataset.id.get_storage_size()
    if nbytes > _FILL_ALLOWANCE and (nbytes > _MAX_COMPRESSION * stored or stored > file_size):
        raise H5Refused(f"{where} declares {nbytes} bytes ({list(dataset.shape)}) but the file stores "
                       f"{stored} bytes of it")


def dataset_at(f: h5py.File, path: str, file_size: int) -> h5py.Dataset:
    """The dataset at an absolute in-file path, every link on the way and the dataset itself checked.
    Raises `ValueError` (`KeyError` if absent) with a message naming the object."""
    node = f
    parts = [p for p in path.split("/") if p]
    for i, key in enumerate(parts):
        node = follow(node, key)
        if i < len(parts) - 1 and not isinstance(node, h5py.Group):
            raise H5Refused(f"{node.name} is a dataset where a group was expected")
    if not isinstance(node, h5py.Dataset):
        raise H5Refused(f"{node.name} is a group where a dataset was expected")
    check_dataset(node, file_size)
    return node


def read_dataset(path: Path, in_file: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """One dataset, checked as `dataset_at` does, read into one preallocated array. `shape`: what the
    caller was told when it indexed the file (a file changed since is refused)."""
    try:
        with h5py.File(path, "r") as f:
            dataset = dataset_at(f, in_file, path.stat().st_size)
            if shape is not None and tuple(dataset.shape) != tuple(shape):
                raise H5Refused(f"{in_file} changed since the file was opened")
            out = np.empty(dataset.shape, dtype=dataset.dtype)
            if math.prod(dataset.shape):
                dataset.read_direct(out)
            return out
    except (OSError, RuntimeError) as err:
        raise CheckpointError(f"{path}: cannot read {in_file} ({err})") from None


class KerasH5Reader:
    """A `CheckpointReader` over a Keras HDF5 weights file; datasets are read whole, on demand."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.source_files = [self.path]
        self.skipped: dict[str, str] = {}
        self._datasets: dict[str, str] = {}  # tensor name -> HDF5 path
        self._infos: list[TensorInfo] = []
        self._seen: set = set()
        if not self.path.is_file():
            raise CheckpointError(f"{self.path}: not a regular file")
        self._file_size = self.path.stat().st_size
        try:
            with h5py.File(self.path, "r") as f:
                root = self._child(f, "model_weights") if "model_weights" in f else f
                if "layer_names" in root.attrs:
                    self._index_legacy(root)
                else:
                    self._index_group(root, "", 0)
        except H5Refused as err:
            raise CheckpointError(f"{self.path}: {err}") from None
        except (OSError, RuntimeError) as err:  # h5py raises RuntimeError for some damaged structures
            raise CheckpointError(f"{self.path}: cannot read HDF5 file ({err})") from None
        except (KeyError, ValueError, TypeError) as err:
            raise CheckpointError(f"{self.path}: unexpected Keras HDF5 layout ({err})") from None
        finally:
            self._seen.clear()
        if not self._infos and not self.skipped:
            raise CheckpointError(f"{self.path}: no weights in this HDF5 file")
        self._by_name = {i.name: i for i in self._infos}
        self.global_step = find_global_step(self._infos, self.read)

    def _child(self, group: h5py.Group, key: str, once: bool = True):
        """`group[key]` through hard links only; with `once`, each object at most once in the file."""
        item = follow(group, key)
        if not once:
            return item
        if item.id in self._seen:
            raise H5Refused(f"{item.name} is reached twice (a link cycle or shared object); "
                            "not Keras weights")
        self._seen.add(item.id)
        if len(self._seen) > limits.MAX_H5_OBJECTS:
            raise H5Refused(f"more than {limits.MAX_H5_OBJECTS} objects")
        return item

    def _add(self, name: str, dataset) -> None:
        if not isinstance(dataset, h5py.Dataset):
            raise H5Refused(f"{dataset.name} is a group where a weight dataset was expected")
        if dataset.shape is None:
            self.skipped[name] = "empty HDF5 dataset (null dataspace)"
            return
        if dataset.dtype.kind not in "biufc":
            self.skipped[name] = f"non-numeric HDF5 dataset (dtype {dataset.dtype})"
            return
        check_dataset(dataset, self._file_size)
        self._datasets[name] = dataset.name
        self._infos.append(TensorInfo(name, tuple(dataset.shape), dataset.dtype.newbyteorder("<")))

    def _index_group(self, group: h5py.Group, prefix: str, depth: int) -> None:
        if depth > limits.MAX_H5_DEPTH:
            raise H5Refused(f"{group.name} is nested more than {limits.MAX_H5_DEPTH} groups deep")
        for key in sorted(group.keys(), key=_natural_key):
            item = self._child(group, key)
            name = f"{prefix}{key}"
            if isinstance(item, h5py.Group):
                self._index_group(item, f"{name}/", depth + 1)
            else:
                self._add(name, item)

    def _path(self, group: h5py.Group, path: str):
        """An object by relative path, every link checked (Keras 2 nests `d1/kernel:0` in a group `d1`
        that several weights share, so only the dataset itself must be new)."""
        for key in path.split("/")[:-1]:
            group = self._child(group, key, once=False)
            if not isinstance(group, h5py.Group):
                raise H5Refused(f"{group.name} is a dataset where a group was expected")
        return self._child(group, path.split("/")[-1])

    def _index_legacy(self, root: h5py.Group) -> None:
        for layer in map(_decode, np.atleast_1d(root.attrs["layer_names"])):
            group = self._child(root, layer)
            if not isinstance(group, h5py.Group):
                raise H5Refused(f"{group.name}: layer {layer!r} is not a group")
            for weight in map(_decode, np.atleast_1d(group.attrs.get("weight_names", []))):
                name = weight.removesuffix(":0")
                self._add(name, self._path(group, weight))

    def tensors(self) -> list[TensorInfo]:
        return list(self._infos)

    def read(self, name: str) -> np.ndarray:
        if name not in self._by_name:
            raise CheckpointError(f"{self.path}: no tensor named {name!r}")
        info = self._by_name[name]
        try:
            out = read_dataset(self.path, self._datasets[name], info.shape)
        except (H5Refused, KeyError) as err:
            raise CheckpointError(f"{self.path}: {err}") from None
        return out.astype(info.dtype, copy=False)

    def stream(self, name: str, sink: Sink) -> None:
        """HDF5 datasets are read whole (HDF5 checks its own checksums when the file has them)."""
        raw = memoryview(np.ascontiguousarray(self.read(name)).reshape(-1).view(np.uint8))
        for start in range(0, len(raw), CHUNK_BYTES):
            sink(raw[start:start + CHUNK_BYTES])
