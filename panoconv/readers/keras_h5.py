"""Read Keras HDF5 weight files: Keras 3 `.weights.h5` and the legacy Keras 2 layout.

Keras 3 stores each variable as a dataset `layers/<layer>/vars/<i>` (and `optimizer/vars/<i>`);
we name tensors by that HDF5 path. Keras 2 (`save_weights("x.h5")`) lists layers in the root attr
`layer_names` (under `model_weights/` for whole-model files) and each layer's variables in its
`weight_names` attr (`dense/kernel:0`); we name tensors by those weight names without `:0`.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import h5py
import numpy as np

from panoconv.readers._types import Sink, TensorInfo, find_global_step
from panoconv.errors import CheckpointError

log = logging.getLogger(__name__)

CHUNK_BYTES = 8 << 20


def _natural_key(name: str) -> list:
    """`vars/2` before `vars/10`, as Keras created them."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _decode(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


class KerasH5Reader:
    """A `CheckpointReader` over a Keras HDF5 weights file; datasets are read whole, on demand."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.source_files = [self.path]
        self.skipped: dict[str, str] = {}
        self._datasets: dict[str, str] = {}  # tensor name -> HDF5 path
        self._infos: list[TensorInfo] = []
        try:
            with h5py.File(self.path, "r") as f:
                root = f["model_weights"] if "model_weights" in f else f
                if "layer_names" in root.attrs:
                    self._index_legacy(root)
                else:
                    self._index_group(root, "")
        except OSError as err:
            raise CheckpointError(f"{self.path}: cannot read HDF5 file ({err})") from None
        except (KeyError, ValueError) as err:
            raise CheckpointError(f"{self.path}: unexpected Keras HDF5 layout ({err})") from None
        if not self._infos and not self.skipped:
            raise CheckpointError(f"{self.path}: no weights in this HDF5 file")
        self._by_name = {i.name: i for i in self._infos}
        self.global_step = find_global_step(self._infos, self.read)

    def _add(self, name: str, dataset: h5py.Dataset) -> None:
        if dataset.dtype.kind not in "biufc":
            self.skipped[name] = f"non-numeric HDF5 dataset (dtype {dataset.dtype})"
            return
        self._datasets[name] = dataset.name
        self._infos.append(TensorInfo(name, tuple(dataset.shape), dataset.dtype.newbyteorder("<")))

    def _index_group(self, group: h5py.Group, prefix: str) -> None:
        for key in sorted(group.keys(), key=_natural_key):
            item = group[key]
            name = f"{prefix}{key}"
            if isinstance(item, h5py.Dataset):
                self._add(name, item)
            elif isinstance(item, h5py.Group):
                self._index_group(item, f"{name}/")

    def _index_legacy(self, root: h5py.Group) -> None:
        for layer in map(_decode, root.attrs["layer_names"]):
            group = root[layer]
            for weight in map(_decode, group.attrs.get("weight_names", [])):
                name = weight[:-2] if weight.endswith(":0") else weight
                self._add(name, group[weight])

    def tensors(self) -> list[TensorInfo]:
        return list(self._infos)

    def read(self, name: str) -> np.ndarray:
        if name not in self._by_name:
            raise CheckpointError(f"{self.path}: no tensor named {name!r}")
        try:
            with h5py.File(self.path, "r") as f:
                array = f[self._datasets[name]][()]
        except OSError as err:
            raise CheckpointError(f"{self.path}: cannot read {name!r} ({err})") from None
        return np.asarray(array).astype(self._by_name[name].dtype, copy=False)

    def stream(self, name: str, sink: Sink) -> None:
        """HDF5 datasets are read whole (HDF5 checks its own checksums when the file has them)."""
        raw = memoryview(np.ascontiguousarray(self.read(name)).reshape(-1).view(np.uint8))
        for start in range(0, len(raw), CHUNK_BYTES):
            sink(raw[start:start + CHUNK_BYTES])
