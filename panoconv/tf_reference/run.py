"""Eager TF inference of any TF-born card: outputs and every layer's activation as numpy, NHWC."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from panoconv.arch import ArchCard
from panoconv.tf_reference._params import ConstantParams
from panoconv.tf_reference._tf import import_tf

tf = import_tf()


def run_tf(
    card: ArchCard,
    values: Mapping[str, np.ndarray],
    images_nhwc: np.ndarray,
    dtype: str = "float32",
    *,
    ring: bool = False,
    layer_inputs: dict[str, np.ndarray] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Returns (outputs by `card.outputs` name, activations by layer module name).

    `images_nhwc`: (B, H, W, card.input_channels). With `layer_inputs`, also fills it with every layer's
    input (for isolated per-layer checks). Raises if TF silently computes in another dtype than asked
    (see parity-pitfalls: some ops drop float64 to float32).
    """
    acts: dict[str, Any] = {}
    inputs: dict[str, Any] | None = {} if layer_inputs is not None else None
    x = tf.constant(np.asarray(images_nhwc, dtype=dtype))
    outs = card.load_tf_forward()(
        x, ConstantParams(values, dtype), ring=ring, activations=acts, layer_inputs=inputs
    )
    result = {name: out.numpy() for name, out in zip(card.outputs, outs)}
    layers = {name: a.numpy() for name, a in acts.items()}
    if layer_inputs is not None:
        layer_inputs.update({name: t.numpy() for name, t in inputs.items()})
    for name, arr in {**result, **layers, **(layer_inputs or {})}.items():
        if arr.dtype != np.dtype(dtype):
            raise AssertionError(f"TF computed {name} in {arr.dtype}, expected {dtype}")
    return result, layers
