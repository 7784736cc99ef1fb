"""Checkpoint readers: the bottom layer of panoconv's checkpoint code (TF1/TF2 bundles, Keras HDF5).

Layering, one way only: `panoconv.readers` (imports only `panoconv.errors`) <- `panoconv.weights`
(stores, extract, safetensors) <- `panoconv.converter`. The converter, parity checker and `extract`
only talk to a `CheckpointReader`; `open_checkpoint` picks the implementation from what `locate`
finds at the user's path. Every reader treats its file as hostile: sizes, counts, offsets and shapes
are checked against the file and `limits` before anything is allocated.
"""

from __future__ import annotations

from pathlib import Path

from panoconv.readers._types import (
    CheckpointReader,
    Sink,
    TensorInfo,
    array_from_stream,
    canonical_tf_name,
    find_global_step,
    is_optimizer_state,
    strip_tf2_suffix,
)

__all__ = ["CheckpointReader", "Sink", "TensorInfo", "array_from_stream", "canonical_tf_name",
           "find_global_step", "is_optimizer_state", "open_checkpoint", "strip_tf2_suffix"]


def open_checkpoint(path: Path | str) -> CheckpointReader:
    """Open a TF1/TF2 checkpoint (prefix, any of its files or its folder) or a Keras `.h5` file.

    Raises `CheckpointError` with a one-line message naming the file when it cannot be read.
    """
    from panoconv.readers.locate import locate

    found = locate(Path(path))
    if found.kind == "h5":
        from panoconv.readers.keras_h5 import KerasH5Reader

        return KerasH5Reader(found.path)
    from panoconv.readers.tf_bundle import BundleReader

    return BundleReader(found.path)
