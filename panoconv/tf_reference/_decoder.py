"""monodepth's decoder with TensorFlow ops, shared by the VGG and ResNet50 encoders (NHWC).

The same rule as `panoconv.pt_model._decoder` (see there), written once for every TF forward.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from panoconv.tf_reference._layers import upsample_nearest2x
from panoconv.tf_reference._tf import import_tf

tf = import_tf()

DISP_LEVELS = 4


def decoder(skips: list[Any], x: Any, card: Any, run: Callable[[str, Any], Any]) -> list[Any]:
    """skips = [skip1, ..., skip_{L-1}], x the deepest encoder output -> [disp1, disp2, disp3, disp4].

    `run(torch_name, input)` applies one of the card's layers (`layer_runner`).
    """
    specs = {spec.torch_name: spec for spec in card.layers}
    levels = sum(1 for name in specs if name.startswith("decoder.upconv"))
    disps: dict[int, Any] = {}
    for i in range(levels, 0, -1):
        name = f"decoder.upconv{i}"
        parts = [run(name, x if specs[name].transposed else upsample_nearest2x(x))]
        if i >= 2:
            parts.append(skips[i - 2])
        if i + 1 in disps:
            parts.append(upsample_nearest2x(disps[i + 1]))
        x = run(f"decoder.iconv{i}", tf.concat(parts, 3))
        if i <= DISP_LEVELS:
            disps[i] = run(f"decoder.disp{i}", x)
    return [disps[i] for i in range(1, DISP_LEVELS + 1)]
