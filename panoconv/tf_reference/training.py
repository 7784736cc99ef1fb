"""Eager TensorFlow training pieces for parity and benchmarks: trainable parameters, loss + gradients, Adam.

Upstream trains `model/...` variables with `tf.compat.v1.train.AdamOptimizer` on the loss of
`panoconv.tf_reference.loss`; the model sees the left image (stereo cards: left and right
concatenated on channels). Tensors are NHWC. `VariableParams(values, dtype, card)` names the card.
"""

from __future__ import annotations

from typing import Any

from panoconv.tf_reference._params import VariableParams
from panoconv.tf_reference._tf import import_tf
from panoconv.tf_reference.loss import monodepth_loss

tf = import_tf()


def loss_and_gradients(params: VariableParams, left: Any, right: Any, **loss_kwargs: Any
                       ) -> tuple[dict[str, Any], dict[str, Any]]:
    """left / right (B, H, W, 3) -> (loss terms, gradient of `total` by TF variable name)."""
    names = list(params.variables)
    forward = params.card.load_tf_forward()
    with tf.GradientTape() as tape:
        disps = forward(tf.concat([left, right], 3) if params.card.stereo else left, params)
        terms = monodepth_loss(disps, left, right, **loss_kwargs)
    grads = tape.gradient(terms["total"], [params.variables[n] for n in names])
    return terms, dict(zip(names, grads))


def adam(lr: float) -> Any:
    """Upstream's optimizer: `tf.compat.v1.train.AdamOptimizer(lr)` (beta 0.9 / 0.999, eps 1e-8)."""
    return tf.compat.v1.train.AdamOptimizer(lr)


def train_step(params: VariableParams, optimizer: Any, left: Any, right: Any,
               **loss_kwargs: Any) -> dict[str, Any]:
    """One eager training step (loss, gradients, Adam update); returns the loss terms before the update."""
    terms, grads = loss_and_gradients(params, left, right, **loss_kwargs)
    optimizer.apply_gradients([(grads[n], params.variables[n]) for n in params.variables])
    return terms


__all__ = ["VariableParams", "adam", "loss_and_gradients", "train_step"]
