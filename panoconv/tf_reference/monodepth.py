"""monodepth's VGG network written with TensorFlow's own ops (no tf-slim), names identical to upstream.

One forward definition, `forward`, serves two purposes through its `params` argument:
- `GraphVariables` creates TF1 variables `model/encoder/Conv/weights`, ... in upstream creation order,
  so a `tf.compat.v1.train.Saver` writes a checkpoint indistinguishable in names and shapes from one
  that upstream training writes;
- `ConstantParams` feeds restored arrays as constants (float32 or float64) for eager inference, and
  `forward` records every layer's activation under the PyTorch module name for per-layer parity.
Tensors are NHWC, as upstream.
"""

from __future__ import annotations

from typing import Any, Mapping, Protocol

import numpy as np

from panoconv.arch import monodepth_vgg as arch
from panoconv.arch.monodepth_vgg import ConvSpec
from panoconv.tf_reference._tf import import_tf

tf = import_tf()


class ParamSource(Protocol):
    def __call__(self, spec: ConvSpec) -> tuple[Any, Any]:
        """Return (kernel HWIO, bias) for one layer."""


class GraphVariables:
    """TF1 graph mode: create `weights` / `biases` under the upstream scope of each layer.

    Initializers are slim's defaults (Glorot-uniform kernels, zero biases); callers that want other
    values load them into the session afterwards (`Variable.load`), which keeps them out of the
    `.meta` graph as in upstream.
    """

    def __call__(self, spec: ConvSpec) -> tuple[Any, Any]:
        with tf.compat.v1.variable_scope(arch.tf_scope(spec), reuse=tf.compat.v1.AUTO_REUSE):
            kernel = tf.compat.v1.get_variable("weights", shape=spec.tf_kernel_shape, dtype=tf.float32,
                                               initializer=tf.compat.v1.glorot_uniform_initializer())
            bias = tf.compat.v1.get_variable("biases", shape=(spec.out_channels,), dtype=tf.float32,
                                             initializer=tf.compat.v1.zeros_initializer())
        return kernel, bias


class ConstantParams:
    """Restored arrays as constants of one dtype, keyed by TF variable name."""

    def __init__(self, values: Mapping[str, np.ndarray], dtype: str = "float32") -> None:
        self.values = values
        self.dtype = dtype

    def __call__(self, spec: ConvSpec) -> tuple[Any, Any]:
        scope = arch.tf_scope(spec)
        return (tf.constant(np.asarray(self.values[f"{scope}/weights"], dtype=self.dtype)),
                tf.constant(np.asarray(self.values[f"{scope}/biases"], dtype=self.dtype)))


def ring_pad(x: Any, pad: int) -> Any:
    """Zero rows top and bottom, wrap columns in longitude (NHWC)."""
    if pad == 0:
        return x
    x = tf.pad(x, [[0, 0], [pad, pad], [0, 0], [0, 0]])
    return tf.concat([x[:, :, -pad:, :], x, x[:, :, :pad, :]], axis=2)


def conv(x: Any, spec: ConvSpec, params: ParamSource, ring: bool) -> Any:
    """Upstream `conv`: explicit symmetric pad, VALID conv, bias, then ELU or 0.3 * sigmoid."""
    kernel, bias = params(spec)
    p = spec.padding
    x = ring_pad(x, p) if ring else tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]])
    y = tf.nn.bias_add(tf.nn.conv2d(x, kernel, strides=spec.stride, padding="VALID"), bias)
    return arch.DISP_SCALE * tf.sigmoid(y) if spec.activation == "disp" else tf.nn.elu(y)


def upsample_nearest2x(x: Any) -> Any:
    """TF1 `resize_nearest_neighbor` (no half-pixel centres) to exactly twice the size."""
    shape = tf.shape(x)
    return tf.raw_ops.ResizeNearestNeighbor(images=x, size=tf.stack([shape[1] * 2, shape[2] * 2]),
                                           align_corners=False, half_pixel_centers=False)


def forward(x: Any, params: ParamSource, ring: bool = False, activations: dict[str, Any] | None = None,
            layer_inputs: dict[str, Any] | None = None) -> list[Any]:
    """(B, H, W, 3) -> [disp1, disp2, disp3, disp4], each (B, h, w, 2).

    Fills `activations` (each layer's output) and `layer_inputs` (what each conv received, after
    upsampling and concatenation) if given, keyed by PyTorch module name.
    """

    def layer(name: str, inp: Any) -> Any:
        spec = arch.layer(name)
        out = conv(inp, spec, params, ring)
        if activations is not None:
            activations[spec.torch_name] = out
        if layer_inputs is not None:
            layer_inputs[spec.torch_name] = inp
        return out

    skips = []
    for block in range(1, 8):
        x = layer(f"encoder.conv{block}b", layer(f"encoder.conv{block}a", x))
        skips.append(x)
    skip1, skip2, skip3, skip4, skip5, skip6, x = skips
    up = upsample_nearest2x
    x = layer("decoder.iconv7", tf.concat([layer("decoder.upconv7", up(x)), skip6], 3))
    x = layer("decoder.iconv6", tf.concat([layer("decoder.upconv6", up(x)), skip5], 3))
    x = layer("decoder.iconv5", tf.concat([layer("decoder.upconv5", up(x)), skip4], 3))
    x = layer("decoder.iconv4", tf.concat([layer("decoder.upconv4", up(x)), skip3], 3))
    disp4 = layer("decoder.disp4", x)
    x = layer("decoder.iconv3", tf.concat([layer("decoder.upconv3", up(x)), skip2, up(disp4)], 3))
    disp3 = layer("decoder.disp3", x)
    x = layer("decoder.iconv2", tf.concat([layer("decoder.upconv2", up(x)), skip1, up(disp3)], 3))
    disp2 = layer("decoder.disp2", x)
    x = layer("decoder.iconv1", tf.concat([layer("decoder.upconv1", up(x)), up(disp2)], 3))
    disp1 = layer("decoder.disp1", x)
    return [disp1, disp2, disp3, disp4]


def run(values: Mapping[str, np.ndarray], images_nhwc: np.ndarray, dtype: str = "float32",
        ring: bool = False, layer_inputs: dict[str, np.ndarray] | None = None,
        ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Eager inference. Returns (outputs by name `disp1..disp4`, activations by layer), NHWC numpy.

    With `layer_inputs`, also fills it with every conv's input (for isolated per-layer checks).
    Raises if TF silently computes in another dtype than asked (see parity-pitfalls: some ops drop
    float64 to float32).
    """
    acts: dict[str, Any] = {}
    inputs: dict[str, Any] | None = {} if layer_inputs is not None else None
    x = tf.constant(np.asarray(images_nhwc, dtype=dtype))
    outs = forward(x, ConstantParams(values, dtype), ring=ring, activations=acts, layer_inputs=inputs)
    result = {name: out.numpy() for name, out in zip(arch.OUTPUTS, outs)}
    layers = {name: a.numpy() for name, a in acts.items()}
    if layer_inputs is not None:
        layer_inputs.update({name: t.numpy() for name, t in inputs.items()})
    for name, arr in {**result, **layers, **(layer_inputs or {})}.items():
        if arr.dtype != np.dtype(dtype):
            raise AssertionError(f"TF computed {name} in {arr.dtype}, expected {dtype}")
    return result, layers
