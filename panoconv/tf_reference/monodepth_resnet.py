"""monodepth's ResNet50 network with TensorFlow's own ops (no tf-slim), variable names identical to upstream.

The TF forward of every ResNet50 card (`panoconv.arch.monodepth_resnet50`); `params` as in
`panoconv.tf_reference.monodepth` (graph variables for checkpoints, constants for parity, eager
variables for training). NHWC, as upstream.
"""

from __future__ import annotations

from typing import Any

from panoconv.arch import ArchCard
from panoconv.arch.monodepth_resnet50 import block_names, blocks
from panoconv.tf_reference._decoder import decoder
from panoconv.tf_reference._layers import layer_runner, pad
from panoconv.tf_reference._params import ParamSource
from panoconv.tf_reference._tf import import_tf

tf = import_tf()


def maxpool(x: Any, ring: bool) -> Any:
    """Upstream `maxpool(x, 3)`: pad 1 (zeros, or ring padding), 3x3 max pool stride 2 VALID."""
    return tf.nn.max_pool2d(pad(x, 1, ring), 3, 2, "VALID")


def forward(
    x: Any,
    params: ParamSource,
    *,
    card: ArchCard,
    ring: bool = False,
    activations: dict[str, Any] | None = None,
    layer_inputs: dict[str, Any] | None = None,
) -> list[Any]:
    """(B, H, W, C) -> [disp1, disp2, disp3, disp4]; `activations` / `layer_inputs` as the VGG forward."""
    run = layer_runner(card, params, ring, activations, layer_inputs)
    conv1 = run("encoder.conv1", x)
    skips = [conv1, maxpool(conv1, ring)]
    x = skips[-1]
    for stage, block, _n, stride in blocks():
        a, b, c, shortcut = (f"encoder.{n}" for n in block_names(stage, block))
        # creation order a, b, c, shortcut (upstream `resconv`): the graph's variables follow it
        y = run(c, run(b, run(a, x)))
        x = tf.nn.elu(y + run(shortcut, x))
        if stride == 2:  # the last block of a stage: conv2 .. conv5
            skips.append(x)
    return decoder(skips[:-1], skips[-1], card, run)
