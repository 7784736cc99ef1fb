"""Where a TF forward gets each layer's (kernel, bias): TF1 graph variables, constants, or eager variables.

A `ParamSource` is called with a layer spec (`tf_scope`, `tf_kernel_shape`, `out_channels`) and
returns `(kernel, bias)` in TF layout. One forward definition thereby serves checkpoint writing
(`GraphVariables`), inference and parity (`ConstantParams`) and training parity (`VariableParams`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np

from panoconv.tf_reference._tf import import_tf

tf = import_tf()


class ParamSource(Protocol):
    def __call__(self, spec: Any) -> tuple[Any, Any]:
        """Return (kernel, bias) of one layer, kernel in `spec.tf_kernel_shape`."""


class GraphVariables:
    """TF1 graph mode: create `weights` / `biases` under the upstream scope of each layer, on first use.

    The forward asks for layers in upstream creation order, so the graph's variables are created in that
    order too. Initializers are slim's defaults (Glorot-uniform kernels, zero biases); callers that want
    other values load them into the session afterwards (`Variable.load`), which keeps them out of the
    `.meta` graph as in upstream.
    """

    def __call__(self, spec: Any) -> tuple[Any, Any]:
        with tf.compat.v1.variable_scope(spec.tf_scope, reuse=tf.compat.v1.AUTO_REUSE):
            kernel = tf.compat.v1.get_variable(
                "weights",
                shape=spec.tf_kernel_shape,
                dtype=tf.float32,
                initializer=tf.compat.v1.glorot_uniform_initializer(),
            )
            bias = tf.compat.v1.get_variable(
                "biases",
                shape=(spec.out_channels,),
                dtype=tf.float32,
                initializer=tf.compat.v1.zeros_initializer(),
            )
        return kernel, bias


class ConstantParams:
    """Restored arrays as constants of one dtype, keyed by TF variable name."""

    def __init__(self, values: Mapping[str, np.ndarray], dtype: str = "float32") -> None:
        self.values = values
        self.dtype = dtype

    def __call__(self, spec: Any) -> tuple[Any, Any]:
        return (
            tf.constant(np.asarray(self.values[f"{spec.tf_scope}/weights"], dtype=self.dtype)),
            tf.constant(np.asarray(self.values[f"{spec.tf_scope}/biases"], dtype=self.dtype)),
        )


class VariableParams:
    """A `ParamSource` of eager `tf.Variable`s (one dtype) keyed by TF name, in the card's table order."""

    def __init__(self, values: Mapping[str, np.ndarray], dtype: str = "float32", card: Any = None) -> None:
        if card is None:
            from panoconv.arch import DEFAULT_ARCH, get_card

            card = get_card(DEFAULT_ARCH)
        self.card = card
        self.dtype = dtype
        self.variables: dict[str, Any] = {
            row.tf_name: tf.Variable(
                np.asarray(values[row.tf_name], dtype=dtype), name=row.tf_name.replace("/", ".")
            )
            for row in card.tf_name_table
        }

    def __call__(self, spec: Any) -> tuple[Any, Any]:
        return self.variables[f"{spec.tf_scope}/weights"], self.variables[f"{spec.tf_scope}/biases"]

    def numpy(self) -> dict[str, np.ndarray]:
        return {name: v.numpy() for name, v in self.variables.items()}
