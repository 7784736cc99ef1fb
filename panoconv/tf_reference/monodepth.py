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
from panoconv.tf_reference._decoder import decoder
from panoconv.tf_reference._layers import layer_runner
from panoconv.tf_reference._params import ConstantParams, GraphVariables, ParamSource, VariableParams
from panoconv.tf_reference._tf import import_tf

tf = import_tf()

__all__ = ["ConstantParams", "GraphVariables", "ParamSource", "VariableParams", "forward"]


def forward(
    x: Any,
    params: ParamSource,
    *,
    card: ArchCard | None = None,
    ring: bool = False,
    activations: dict[str, Any] | None = None,
    layer_inputs: dict[str, Any] | None = None,
) -> list[Any]:
    """(B, H, W, C) -> [disp1, disp2, disp3, disp4], each (B, h, w, 2).

    Fills `activations` (each layer's output) and `layer_inputs` (what each layer module received:
    after upsampling and concatenation for convs, before the pad for deconvs) if given, keyed by
    PyTorch module name. `card` defaults to `monodepth-vgg`.
    """
    if card is None:
        from panoconv.arch import DEFAULT_ARCH, get_card

        card = get_card(DEFAULT_ARCH)
    run = layer_runner(card, params, ring, activations, layer_inputs)
    skips = []
    for block in range(1, 8):
        x = run(f"encoder.conv{block}b", run(f"encoder.conv{block}a", x))
        skips.append(x)
    return decoder(skips[:-1], skips[-1], card, run)
