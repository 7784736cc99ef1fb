"""Types every checkpoint reader shares: `TensorInfo`, the `CheckpointReader` protocol, name rules.

This module sits at the very bottom of panoconv's checkpoint code: it imports nothing from panoconv
but `errors`, so readers, weight stores and the converter can all depend on it without cycles.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from panoconv.errors import CheckpointError

#: Receives consecutive chunks of a tensor's raw little-endian C-order bytes.
Sink = Callable[[bytes], object]

_TF2_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"
_SLOT_SUFFIX = re.compile(r"/(Adam|Adam_\d+|Momentum|RMSProp|RMSProp_\d+|Adagrad|ExponentialMovingAverage)$")
_OPTIMIZER_NAMES = re.compile(r"^(beta1_power|beta2_power)(_\d+)?$")
_STEP_NAMES = ("global_step", "Variable", "step", "optimizer/iter", "optimizer/iterations",
               "optimizer/vars/0", "save_counter")


@dataclass(frozen=True)
class TensorInfo:
    name: str
    shape: tuple[int, ...]
    dtype: np.dtype


@runtime_checkable
class CheckpointReader(Protocol):
    path: Path
    source_files: list[Path]
    global_step: int | None
    #: Entries that cannot be read as numeric arrays (string tensors...) -> why; not in `tensors()`.
    skipped: dict[str, str]

    def tensors(self) -> list[TensorInfo]: ...

    def read(self, name: str) -> np.ndarray: ...

    def stream(self, name: str, sink: Sink) -> None: ...


def strip_tf2_suffix(name: str) -> str:
    """`model/x/.ATTRIBUTES/VARIABLE_VALUE` -> `model/x` (TF2 object-based names)."""
    return name.removesuffix(_TF2_SUFFIX)


def canonical_tf_name(name: str) -> str:
    """Strip the `:0` output suffix that Keras and the earlier port append."""
    return name.removesuffix(":0")


def is_optimizer_state(name: str) -> bool:
    """True for optimizer slots, Adam's beta powers and step counters, in TF1, TF2 and Keras names
    (with or without the `:0` output suffix). The one rule extract, convert and detection share."""
    base = strip_tf2_suffix(canonical_tf_name(name))
    if "/.OPTIMIZER_SLOT/" in name or base.startswith(("optimizer/", "optimizer_weights/")):
        return True
    if base in {"Variable", "global_step", "save_counter", "step"}:
        return True
    return bool(_SLOT_SUFFIX.search(base) or _OPTIMIZER_NAMES.match(base))


def find_global_step(infos: list[TensorInfo], read: Callable[[str], np.ndarray]) -> int | None:
    """The training step, from the first integer scalar under a known step name (TF1, TF2, Keras)."""
    by_name = {strip_tf2_suffix(i.name): i for i in infos}
    for candidate in _STEP_NAMES:
        info = by_name.get(candidate)
        if info is not None and info.shape in {(), (1,)} and info.dtype.kind in "iu":
            return int(read(info.name).reshape(-1)[0])
    return None


def array_from_stream(info: TensorInfo, stream: Callable[[str, Sink], None]) -> np.ndarray:
    """Fill a preallocated array from `stream`, so reading never holds two copies of a tensor."""
    out = np.empty(info.shape, dtype=info.dtype)
    view = memoryview(out.reshape(-1).view(np.uint8))
    pos = 0

    def sink(chunk: bytes) -> None:
        nonlocal pos
        if pos + len(chunk) > len(view):
            raise CheckpointError(f"{info.name!r}: more bytes than its shape {list(info.shape)} holds")
        view[pos:pos + len(chunk)] = chunk
        pos += len(chunk)

    stream(info.name, sink)
    if pos != len(view):
        raise CheckpointError(f"{info.name!r}: {pos} bytes where its shape {list(info.shape)} "
                              f"needs {len(view)}")
    return out
