"""monodepth's ResNet50 encoder-decoder (`encoder="resnet50"`) and its upstream variants, as data.

Facts of upstream's ResNet50 graph, all visible in the layers below:
- conv1 = conv(64, k7, s2) (H/2), then pool1 = pad 1 (zeros, or ring) + 3x3 max pool stride 2 VALID
  (H/4): zero padding, not -inf (the model's `pool1`, no variables);
- four stages conv2..conv5 of (64, 3), (128, 4), (256, 6), (512, 3) bottlenecks; each stage has its
  stride 2 in its LAST block (unlike torchvision), so the encoder reaches H/64 and inputs are
  multiples of 64;
- bottleneck(x, n, s): a = conv(n, k1), b = conv(n, k3, stride s), c = conv(4n, k1, no activation),
  shortcut = conv(4n, k1, stride s, no activation) in EVERY block (upstream's `tf.shape(x)[3] != n`
  compares a Tensor with an int, always "not equal" in a TF1 graph), out = ELU(c + shortcut);
  creation order a, b, c, shortcut, so TF names them `encoder/Conv_1`, `Conv_2`, ... after conv1;
- skips: conv1 (64), pool1 (64), conv2 (256), conv3 (512), conv4 (1024); the shared monodepth
  decoder of six levels from conv5 (2048).

162 tensors, 58,452,008 parameters (with or without `use_deconv`); `do_stereo` makes conv1 take 6
channels. PyTorch module names: `encoder.conv1`, `encoder.conv<stage>_<block>_{a,b,c,shortcut}`.
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

#: Spatial sizes must be multiples of this (six stride-2 stages: conv1, pool1, conv2..conv5).
SIZE_MULTIPLE = 64
#: Trainable parameter count of the graph upstream builds.
NUM_PARAMETERS = 58_452_008
#: (stage, bottleneck width n, blocks): conv2 .. conv5.
STAGES: tuple[tuple[int, int, int], ...] = ((2, 64, 3), (3, 128, 4), (4, 256, 6), (5, 512, 3))
#: Bottleneck expansion: c and the shortcut have 4n channels.
EXPANSION = 4
#: Channels of skip1 .. skip5 (conv1, pool1, conv2, conv3, conv4) and of the deepest output (conv5).
SKIP_CHANNELS = (64, 64, 256, 512, 1024)
DEEPEST_CHANNELS = 2048

TF_FORWARD = "panoconv.tf_reference.monodepth_resnet:forward"
FACTORY = "panoconv.pt_model.monodepth_resnet:monodepth_resnet50"
#: The five released `_resnet` checkpoints (monodepth README).
RELEASED = ("model_kitti_resnet", "model_eigen_resnet", "model_cityscapes_resnet", "model_city2kitti_resnet",
            "model_city2eigen_resnet")


def block_names(stage: int, block: int) -> tuple[str, str, str, str]:
    """Module names of one bottleneck's convs a, b, c and shortcut (creation order)."""
    base = f"conv{stage}_{block}"
    return f"{base}_a", f"{base}_b", f"{base}_c", f"{base}_shortcut"


def blocks() -> list[tuple[int, int, int, int]]:
    """Every bottleneck in network order as (stage, block, width n, stride): the last of a stage strides."""
    return [(stage, b, n, 2 if b == count else 1) for stage, n, count in STAGES for b in range(1, count + 1)]


def _encoder(in_channels: int) -> list[ConvSpec]:
    e = "encoder"
    layers = [ConvSpec(e, "conv1", 7, in_channels, 64, 2)]
    cin = 64
    for stage, block, n, stride in blocks():
        a, b, c, shortcut = block_names(stage, block)
        layers += [
            ConvSpec(e, a, 1, cin, n),
            ConvSpec(e, b, 3, n, n, stride),
            ConvSpec(e, c, 1, n, EXPANSION * n, activation="linear"),
            ConvSpec(e, shortcut, 1, cin, EXPANSION * n, stride, activation="linear"),
        ]
        cin = EXPANSION * n
    return layers


def resnet50_layers(stereo: bool = False, deconv: bool = False) -> tuple[ConvSpec, ...]:
    """Every layer of a ResNet50 variant with its TF scope, in TensorFlow creation order."""
    return slim_scoped(_encoder(6 if stereo else 3) + decoder_layers(DEEPEST_CHANNELS, SKIP_CHANNELS, deconv))


LAYERS: tuple[ConvSpec, ...] = resnet50_layers()
NAME_TABLE: tuple[TensorMapping, ...] = conv_name_table(LAYERS)

assert total_parameters(LAYERS) == NUM_PARAMETERS, "layer table disagrees with the upstream parameter count"


def _card(name: str, description: str, stereo: bool, deconv: bool) -> ArchCard:
    layers = resnet50_layers(stereo, deconv)
    return monodepth_card(name, description, layers, size_multiple=SIZE_MULTIPLE,
                          num_parameters=total_parameters(layers), factory=FACTORY,
                          tf_forward=TF_FORWARD, checkpoints=RELEASED if not (stereo or deconv) else ())


CARD = register_card(_card(
    "monodepth-resnet50",
    "monodepth with its ResNet50 encoder (the five released *_resnet checkpoints)",
    stereo=False, deconv=False))
STEREO_CARD = register_card(_card(
    "monodepth-resnet50-stereo",
    "monodepth ResNet50 with do_stereo: left and right images concatenated on channels",
    stereo=True, deconv=False))
DECONV_CARD = register_card(_card(
    "monodepth-resnet50-deconv",
    "monodepth ResNet50 with use_deconv: stride-2 transposed convs instead of nearest upsampling + conv",
    stereo=False, deconv=True))
STEREO_DECONV_CARD = register_card(_card(
    "monodepth-resnet50-stereo-deconv", "monodepth ResNet50 with do_stereo and use_deconv",
    stereo=True, deconv=True))
