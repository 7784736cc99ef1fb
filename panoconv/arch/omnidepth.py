"""OmniDepth's RectNet and UResNet (Zioulis et al., ECCV 2018): PyTorch-born supervised 360-degree depth.

Both take one 256 x 512 equirectangular RGB image (the size they were trained at) and predict depth in
metres directly, at several scales (full resolution first). `loss_weights` are the published per-scale
weights of the multi-scale loss (`panoconv.losses.supervised`): `alpha` for the L2 term, `beta` for the
gradient term, finest scale first. `extra["pytorch_key_maps"]`: how OmniDepth-PyTorch's checkpoints
name the same tensors (`panoconv.arch._pytorch_keys`), read by convert / load_model / train --init.
"""

from __future__ import annotations

from panoconv.arch._card import ArchCard, register_card
from panoconv.arch._pytorch_keys import OMNIDEPTH_PYTORCH_RECTNET, OMNIDEPTH_PYTORCH_URESNET

RECTNET = register_card(ArchCard(
    name="rectnet",
    description="OmniDepth RectNet: rectangular-kernel encoder-decoder, depth at 1x and 2x",
    origin="pytorch",
    output_kind="depth",
    outputs=("pred_1x", "pred_2x"),
    size_multiple=4,
    num_parameters=8_870_194,
    factory="panoconv.pt_model.rectnet:rectnet",
    fixed_size=True,
    options=frozenset({"detach_upsampled"}),
    task="supervised",
    loss_weights={"alpha": (0.535, 0.272), "beta": (0.134, 0.068)},
    extra={"pytorch_key_maps": (OMNIDEPTH_PYTORCH_RECTNET,)},
))

URESNET = register_card(ArchCard(
    name="uresnet",
    description="OmniDepth UResNet: residual U-Net, depth at 1x, 2x and 4x",
    origin="pytorch",
    output_kind="depth",
    outputs=("pred_1x", "pred_2x", "pred_4x"),
    size_multiple=16,
    num_parameters=51_252_035,
    factory="panoconv.pt_model.uresnet:uresnet",
    fixed_size=True,
    options=frozenset({"detach_upsampled"}),
    task="supervised",
    loss_weights={"alpha": (0.445, 0.275, 0.13), "beta": (0.15, 0.0, 0.0)},
    extra={"pytorch_key_maps": (OMNIDEPTH_PYTORCH_URESNET,)},
))
