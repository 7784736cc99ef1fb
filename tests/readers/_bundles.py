"""Small tensor bundles with arbitrary names, written by TensorFlow's own SaveV2 op (for tests)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_bundle(prefix: Path, tensors: dict[str, np.ndarray]) -> Path:
    """Write `tensors` under exactly these names (any string, like a hostile checkpoint could hold)."""
    from panoconv.tf_reference._tf import import_tf

    tf = import_tf()
    names = list(tensors)
    tf.raw_ops.SaveV2(prefix=str(prefix), tensor_names=names, shape_and_slices=[""] * len(names),
                      tensors=[tf.constant(tensors[n]) for n in names])
    return Path(prefix)


def small_tensors() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    return {
        "model/encoder/Conv/weights": rng.standard_normal((3, 3, 3, 4)).astype(np.float32),
        "model/encoder/Conv/biases": rng.standard_normal(4).astype(np.float32),
        "model/encoder/Conv/weights/Adam": rng.standard_normal((3, 3, 3, 4)).astype(np.float32),
        "beta1_power": np.float32(0.5),
        "Variable": np.int32(1234),
        "counts": np.arange(6, dtype=np.int64).reshape(2, 3),
        "half": rng.standard_normal(5).astype(np.float16),
    }
