"""monodepth's VGG network written with TensorFlow's own ops (no tf-slim), names identical to upstream.

`forward` is the TF forward of every VGG card (plain, `do_stereo`, `use_deconv`): the card's layers
say which convs there are, their TF scopes and whether `upconv` is nearest x2 + conv or a `deconv`.
Its `params` argument makes one definition serve three purposes (`panoconv.tf_reference._params`):
`GraphVariables` writes upstream-named TF1 variables for checkpoints, `ConstantParams` feeds restored
arrays (float32 or float64) for inference and parity, `VariableParams` trains eagerly.
Tensors are NHWC, as upstream.
"""

from __future__ import annotations

from typing import Any

from panoconv.arch import ArchCard
from panoconv.tf_reference._layers import layer, upsample_nearest2x
from panoconv.tf_reference._params import ConstantParams, GraphVariables, ParamSource, VariableParams
from panoconv.tf_reference._tf import import_tf

tf = import_tf()

__all__ = ["ConstantParams", "GraphVariables", "ParamSource", "VariableParams", "forward"]


def forward(x: Any, params: ParamSource, *, card: ArchCard | None = None, ring: bool = False,
            activations: dict[str, Any] | None = None, layer_inputs: dict[str, Any] | None = None) -> list[Any]:
    """(B, H, W, C) -> [disp1, disp2, disp3, disp4], each (B, h, w, 2).

    Fills `activations` (each layer's output) and `layer_inputs` (what each layer module received:
    after upsampling and concatenation for convs, before the pad for deconvs) if given, keyed by
    PyTorch module name. `card` defaults to `monodepth-vgg`.
    """
    if card is None:
        from panoconv.arch import DEFAULT_ARCH, get_card

        card = get_card(DEFAULT_ARCH)
    specs = {spec.torch_name: spec for spec in card.layers}

    def run(name: str, inp: Any) -> Any:
        spec = specs[name]
        out = layer(inp, spec, params, ring)
        if activations is not None:
            activations[name] = out
        if layer_inputs is not None:
            layer_inputs[name] = inp
        return out

    def up(name: str, inp: Any) -> Any:
        """upstream `upconv` (nearest x2, conv) or `deconv`, as the card's layer says."""
        return run(name, inp if specs[name].transposed else upsample_nearest2x(inp))

    skips = []
    for block in range(1, 8):
        x = run(f"encoder.conv{block}b", run(f"encoder.conv{block}a", x))
        skips.append(x)
    skip1, skip2, skip3, skip4, skip5, skip6, x = skips
    x = run("decoder.iconv7", tf.concat([up("decoder.upconv7", x), skip6], 3))
    x = run("decoder.iconv6", tf.concat([up("decoder.upconv6", x), skip5], 3))
    x = run("decoder.iconv5", tf.concat([up("decoder.upconv5", x), skip4], 3))
    x = run("decoder.iconv4", tf.concat([up("decoder.upconv4", x), skip3], 3))
    disp4 = run("decoder.disp4", x)
    x = run("decoder.iconv3", tf.concat([up("decoder.upconv3", x), skip2, upsample_nearest2x(disp4)], 3))
    disp3 = run("decoder.disp3", x)
    x = run("decoder.iconv2", tf.concat([up("decoder.upconv2", x), skip1, upsample_nearest2x(disp3)], 3))
    disp2 = run("decoder.disp2", x)
    x = run("decoder.iconv1", tf.concat([up("decoder.upconv1", x), upsample_nearest2x(disp2)], 3))
    disp1 = run("decoder.disp1", x)
    return [disp1, disp2, disp3, disp4]

