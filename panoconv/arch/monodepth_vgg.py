"""monodepth's VGG encoder-decoder and its upstream variants, written down once as data.

Everything that needs to know the architecture reads the cards registered here: the PyTorch model
(`panoconv.pt_model.monodepth`), the TensorFlow reference (`panoconv.tf_reference.monodepth`), the
converter's name table and the parity checker, which compares activations layer by layer under the
module names defined here.

Upstream builds every layer with `slim.conv2d` (or `slim.conv2d_transpose` for `use_deconv`) and no
explicit scope, so TensorFlow names the variables `Conv`, `Conv_1`, ... (and `Conv2d_transpose`, ...)
in creation order inside `model/encoder` and `model/decoder`. The layers are therefore listed in
creation order and the TF names derived from that order (`slim_scoped`).

Variants (upstream monodepth's model options):
- `do_stereo`: the input is left and right concatenated on channels (conv1a takes 6 channels);
- `use_deconv`: every `upconv` (nearest x2 + conv) is a `deconv` (pad 1, stride-2 transposed conv,
  crop [3:-1]), variables `decoder/Conv2d_transpose*`; the other decoder convs keep `Conv*`.
"""

from __future__ import annotations

from panoconv.arch._card import ArchCard, register_card
from panoconv.arch._mapping import TensorMapping
from panoconv.arch._monodepth import (
    ConvSpec,
    conv_name_table,
    decoder_layers,
    monodepth_card,
    slim_scoped,
    total_parameters,
)

#: Spatial sizes must be multiples of this (seven stride-2 stages).
SIZE_MULTIPLE = 128
#: Trainable parameter counts of graphs built by upstream code.
NUM_PARAMETERS = 31_600_072
NUM_PARAMETERS_STEREO = 31_604_776

TF_FORWARD = "panoconv.tf_reference.monodepth:forward"
FACTORY = "panoconv.pt_model.monodepth:monodepth_vgg"
#: The released checkpoints of each variant (monodepth README; gdlg's panoramic model is plain VGG).
RELEASED = ("model_kitti", "model_eigen", "model_cityscapes", "model_city2kitti", "model_city2eigen",
            "mixed_warp/model-180000")
RELEASED_STEREO = ("model_kitti_stereo",)


def _encoder(in_channels: int) -> list[ConvSpec]:
    # (block, kernel, channels): conv_block = conv(stride 1) then conv(stride 2).
    blocks = [(1, 7, 32), (2, 5, 64), (3, 3, 128), (4, 3, 256), (5, 3, 512), (6, 3, 512), (7, 3, 512)]
    layers: list[ConvSpec] = []
    in_ch = in_channels
    for block, k, ch in blocks:
        layers.append(ConvSpec("encoder", f"conv{block}a", k, in_ch, ch, 1))
        layers.append(ConvSpec("encoder", f"conv{block}b", k, ch, ch, 2))
        in_ch = ch
    return layers


def vgg_layers(stereo: bool = False, deconv: bool = False) -> tuple[ConvSpec, ...]:
    """Every layer of a VGG variant with its TF scope, in TensorFlow creation order (encoder, decoder)."""
    return slim_scoped(_encoder(6 if stereo else 3) + decoder_layers(512, (32, 64, 128, 256, 512, 512),
                                                                     deconv))


#: The plain network (`monodepth-vgg`): layers and its 64-row TF <-> PyTorch name table.
LAYERS: tuple[ConvSpec, ...] = vgg_layers()
NAME_TABLE: tuple[TensorMapping, ...] = conv_name_table(LAYERS)

assert total_parameters(LAYERS) == NUM_PARAMETERS, "layer table disagrees with the upstream parameter count"


def _card(name: str, description: str, stereo: bool, deconv: bool) -> ArchCard:
    layers = vgg_layers(stereo, deconv)
    return monodepth_card(name, description, layers, size_multiple=SIZE_MULTIPLE,
                          num_parameters=NUM_PARAMETERS_STEREO if stereo else NUM_PARAMETERS, factory=FACTORY,
                          tf_forward=TF_FORWARD,
                          checkpoints=(RELEASED_STEREO if stereo else RELEASED) if not deconv else ())


CARD = register_card(_card(
    "monodepth-vgg",
    "monodepth's VGG encoder-decoder (Godard et al. 2017), also gdlg's panoramic mixed-warp model",
    stereo=False, deconv=False))
STEREO_CARD = register_card(_card(
    "monodepth-vgg-stereo",
    "monodepth VGG with do_stereo: left and right images concatenated on channels (model_kitti_stereo)",
    stereo=True, deconv=False))
DECONV_CARD = register_card(_card(
    "monodepth-vgg-deconv",
    "monodepth VGG with use_deconv: stride-2 transposed convs instead of nearest upsampling + conv",
    stereo=False, deconv=True))
STEREO_DECONV_CARD = register_card(_card(
    "monodepth-vgg-stereo-deconv", "monodepth VGG with do_stereo and use_deconv", stereo=True, deconv=True))
