"""monodepth's layer helpers written with TensorFlow's own ops (no tf-slim), NHWC, shared by every encoder.

- `conv`: upstream `conv` = explicit symmetric pad of (k-1)//2 (zeros, or ring padding), VALID conv,
  bias, then ELU / 0.3 * sigmoid / nothing (`spec.activation`).
- `deconv`: upstream `deconv` = pad 1 (zeros or ring), `slim.conv2d_transpose(n, k, stride 2, 'SAME')`
  (TF's own `conv2d_transpose` with SAME padding and output 2x the padded input, as slim computes it),
  bias, ELU, then crop rows and columns [3:-1].
- `layer`: whichever of the two a `ConvSpec` describes; `layer_runner`: apply a card's layers by name,
  recording outputs and inputs for per-layer parity.
Kernels come from a `ParamSource` (`panoconv.tf_reference._params`) in the TF layout of the spec.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from panoconv.arch._monodepth import DISP_SCALE, ConvSpec
from panoconv.tf_reference._params import ParamSource
from panoconv.tf_reference._tf import import_tf

tf = import_tf()


def ring_pad(x: Any, pad: int) -> Any:
    """Zero rows top and bottom, wrap columns in longitude (NHWC)."""
    if pad == 0:
        return x
    x = tf.pad(x, [[0, 0], [pad, pad], [0, 0], [0, 0]])
    return tf.concat([x[:, :, -pad:, :], x, x[:, :, :pad, :]], axis=2)


def pad(x: Any, p: int, ring: bool) -> Any:
    """Upstream's explicit symmetric pad: zeros on every side, or ring padding."""
    return ring_pad(x, p) if ring else tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]])


def activate(y: Any, activation: str) -> Any:
    if activation == "disp":
        return DISP_SCALE * tf.sigmoid(y)
    if activation == "linear":
        return y
    return tf.nn.elu(y)


def conv(x: Any, spec: ConvSpec, params: ParamSource, ring: bool) -> Any:
    """Upstream `conv`: explicit symmetric pad, VALID conv, bias, activation."""
    kernel, bias = params(spec)
    y = tf.nn.conv2d(pad(x, spec.padding, ring), kernel, strides=spec.stride, padding="VALID")
    return activate(tf.nn.bias_add(y, bias), spec.activation)


def deconv(x: Any, spec: ConvSpec, params: ParamSource, ring: bool) -> Any:
    """Upstream `deconv`: pad 1, SAME transposed conv (stride 2), bias, ELU, crop [3:-1]: (h, w) -> (2h,
    2w)."""
    kernel, bias = params(spec)  # [k, k, out, in]
    padded = pad(x, 1, ring)
    shape = tf.shape(padded)
    out_shape = tf.stack([shape[0], shape[1] * 2, shape[2] * 2, spec.out_channels])
    y = tf.nn.conv2d_transpose(padded, kernel, out_shape, strides=2, padding="SAME")
    y = activate(tf.nn.bias_add(y, bias), spec.activation)
    return y[:, 3:-1, 3:-1, :]


def layer(x: Any, spec: ConvSpec, params: ParamSource, ring: bool) -> Any:
    return deconv(x, spec, params, ring) if spec.transposed else conv(x, spec, params, ring)


def upsample_nearest2x(x: Any) -> Any:
    """TF1 `resize_nearest_neighbor` (no half-pixel centres) to exactly twice the size."""
    shape = tf.shape(x)
    return tf.raw_ops.ResizeNearestNeighbor(
        images=x, size=tf.stack([shape[1] * 2, shape[2] * 2]), align_corners=False, half_pixel_centers=False
    )


def layer_runner(
    card: Any,
    params: ParamSource,
    ring: bool,
    activations: dict[str, Any] | None = None,
    layer_inputs: dict[str, Any] | None = None,
) -> Callable[[str, Any], Any]:
    """`run(torch_name, x)`: apply the card's layer of that name and record its output and input (if asked),
    as every TF forward must for per-layer parity."""
    specs = {spec.torch_name: spec for spec in card.layers}

    def run(name: str, inp: Any) -> Any:
        out = layer(inp, specs[name], params, ring)
        if activations is not None:
            activations[name] = out
        if layer_inputs is not None:
            layer_inputs[name] = inp
        return out

    return run
