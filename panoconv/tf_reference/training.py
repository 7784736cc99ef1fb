"""Eager TensorFlow training pieces for parity and benchmarks: trainable parameters, loss + gradients, Adam.

Upstream trains `model/...` variables with `tf.compat.v1.train.AdamOptimizer` on the loss of
`panoconv.tf_reference.loss`; the model sees the left image only. Tensors are NHWC.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from panoconv.arch import monodepth_vgg as arch
from panoconv.arch.monodepth_vgg import ConvSpec
from panoconv.tf_reference._tf import import_tf
from panoconv.tf_reference.loss import monodepth_loss
from panoconv.tf_reference.monodepth import forward

tf = import_tf()


class VariableParams:
    """A `ParamSource` of `tf.Variable`s (one dtype) keyed by TF name, in network order."""

    def __init__(self, values: Mapping[str, np.ndarray], dtype: str = "float32") -> None:
        self.dtype = dtype
        self.variables: dict[str, Any] = {
            row.tf_name: tf.Variable(np.asarray(values[row.tf_name], dtype=dtype), name=row.tf_name.replace("/", "."))
            for row in arch.NAME_TABLE
        }

    def __call__(self, spec: ConvSpec) -> tuple[Any, Any]:
        scope = arch.tf_scope(spec)
        return self.variables[f"{scope}/weights"], self.variables[f"{scope}/biases"]

    def numpy(self) -> dict[str, np.ndarray]:
        return {name: v.numpy() for name, v in self.variables.items()}


def loss_and_gradients(params: VariableParams, left: Any, right: Any, **loss_kwargs: Any
                       ) -> tuple[dict[str, Any], dict[str, Any]]:
    """left / right (B, H, W, 3) -> (loss terms, gradient of `total` by TF variable name)."""
    names = list(params.variables)
    with tf.GradientTape() as tape:
        disps = forward(left, params)
        terms = monodepth_loss(disps, left, right, **loss_kwargs)
    grads = tape.gradient(terms["total"], [params.variables[n] for n in names])
    return terms, dict(zip(names, grads))


def adam(lr: float) -> Any:
    """Upstream's optimizer: `tf.compat.v1.train.AdamOptimizer(lr)` (beta 0.9 / 0.999, eps 1e-8)."""
    return tf.compat.v1.train.AdamOptimizer(lr)


def train_step(params: VariableParams, optimizer: Any, left: Any, right: Any, **loss_kwargs: Any) -> dict[str, Any]:
    """One eager training step (loss, gradients, Adam update); returns the loss terms before the update."""
    terms, grads = loss_and_gradients(params, left, right, **loss_kwargs)
    optimizer.apply_gradients([(grads[n], params.variables[n]) for n in params.variables])
    return terms
