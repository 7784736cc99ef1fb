"""The monodepth VGG encoder-decoder, written down once as data.

Everything that needs to know the architecture reads this module: the PyTorch model
(`panoconv.pt_model.monodepth`), the TensorFlow reference (`panoconv.tf_reference.monodepth`),
the converter's name table (`panoconv.converter.name_map`) and the parity checker, which
compares activations layer by layer under the names defined here.

Upstream builds every layer with `slim.conv2d` and no explicit scope, so TensorFlow names the
variables `Conv`, `Conv_1`, ... in creation order inside `model/encoder` and `model/decoder`.
`LAYERS` is therefore listed in creation order, and the TF names are derived from that order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from panoconv.arch._card import ArchCard, register_card
from panoconv.arch._mapping import Layout, TensorMapping

Activation = Literal["elu", "disp"]
Part = Literal["encoder", "decoder"]

#: Spatial sizes must be multiples of this (seven stride-2 stages).
SIZE_MULTIPLE = 128
#: get_disp: `DISP_SCALE * sigmoid(conv(x))`; disparities are fractions of the image width.
DISP_SCALE = 0.3
#: Root variable scope of the upstream graph.
TF_ROOT_SCOPE = "model"


@dataclass(frozen=True)
class ConvSpec:
    """One convolution: explicit symmetric zero (or ring) pad of (k-1)//2, then a VALID conv."""

    part: Part
    name: str
    kernel: int
    in_channels: int
    out_channels: int
    stride: int = 1
    activation: Activation = "elu"

    @property
    def padding(self) -> int:
        return (self.kernel - 1) // 2

    @property
    def torch_name(self) -> str:
        """Module path in the PyTorch model, e.g. `decoder.iconv7`."""
        return f"{self.part}.{self.name}"

    @property
    def num_parameters(self) -> int:
        return self.kernel * self.kernel * self.in_channels * self.out_channels + self.out_channels

    @property
    def tf_kernel_shape(self) -> tuple[int, int, int, int]:
        """TensorFlow HWIO kernel shape."""
        return (self.kernel, self.kernel, self.in_channels, self.out_channels)

    @property
    def torch_kernel_shape(self) -> tuple[int, int, int, int]:
        """PyTorch OIHW kernel shape."""
        return (self.out_channels, self.in_channels, self.kernel, self.kernel)


def _encoder() -> list[ConvSpec]:
    # (block, kernel, channels): conv_block = conv(stride 1) then conv(stride 2).
    blocks = [(1, 7, 32), (2, 5, 64), (3, 3, 128), (4, 3, 256), (5, 3, 512), (6, 3, 512), (7, 3, 512)]
    layers: list[ConvSpec] = []
    in_ch = 3
    for block, k, ch in blocks:
        layers.append(ConvSpec("encoder", f"conv{block}a", k, in_ch, ch, 1))
        layers.append(ConvSpec("encoder", f"conv{block}b", k, ch, ch, 2))
        in_ch = ch
    return layers


def _decoder() -> list[ConvSpec]:
    d = "decoder"
    return [
        ConvSpec(d, "upconv7", 3, 512, 512),
        ConvSpec(d, "iconv7", 3, 512 + 512, 512),  # concat skip6
        ConvSpec(d, "upconv6", 3, 512, 512),
        ConvSpec(d, "iconv6", 3, 512 + 512, 512),  # concat skip5
        ConvSpec(d, "upconv5", 3, 512, 256),
        ConvSpec(d, "iconv5", 3, 256 + 256, 256),  # concat skip4
        ConvSpec(d, "upconv4", 3, 256, 128),
        ConvSpec(d, "iconv4", 3, 128 + 128, 128),  # concat skip3
        ConvSpec(d, "disp4", 3, 128, 2, activation="disp"),
        ConvSpec(d, "upconv3", 3, 128, 64),
        ConvSpec(d, "iconv3", 3, 64 + 64 + 2, 64),  # concat skip2, udisp4
        ConvSpec(d, "disp3", 3, 64, 2, activation="disp"),
        ConvSpec(d, "upconv2", 3, 64, 32),
        ConvSpec(d, "iconv2", 3, 32 + 32 + 2, 32),  # concat skip1, udisp3
        ConvSpec(d, "disp2", 3, 32, 2, activation="disp"),
        ConvSpec(d, "upconv1", 3, 32, 16),
        ConvSpec(d, "iconv1", 3, 16 + 2, 16),  # concat udisp2
        ConvSpec(d, "disp1", 3, 16, 2, activation="disp"),
    ]


#: Every convolution, in TensorFlow creation order (encoder first, then decoder).
LAYERS: tuple[ConvSpec, ...] = tuple(_encoder() + _decoder())
#: Names of the network outputs, full resolution first (as upstream returns them).
OUTPUTS: tuple[str, ...] = ("disp1", "disp2", "disp3", "disp4")
#: Trainable parameter count stated for the upstream model.
NUM_PARAMETERS = 31_600_072


def tf_scope(spec: ConvSpec) -> str:
    """The upstream variable scope of a layer, e.g. `model/decoder/Conv_17`."""
    index = [s for s in LAYERS if s.part == spec.part].index(spec)
    conv = "Conv" if index == 0 else f"Conv_{index}"
    return f"{TF_ROOT_SCOPE}/{spec.part}/{conv}"


def layer(torch_name: str) -> ConvSpec:
    """Look a layer up by its PyTorch module path (`encoder.conv1a`)."""
    for spec in LAYERS:
        if spec.torch_name == torch_name:
            return spec
    raise KeyError(f"no layer named {torch_name!r} in monodepth-vgg")


def total_parameters() -> int:
    return sum(spec.num_parameters for spec in LAYERS)


assert total_parameters() == NUM_PARAMETERS, "layer table disagrees with the upstream parameter count"


def _name_table() -> tuple[TensorMapping, ...]:
    rows: list[TensorMapping] = []
    for spec in LAYERS:
        scope = tf_scope(spec)
        rows.append(TensorMapping(f"{scope}/weights", f"{spec.torch_name}.weight", spec.tf_kernel_shape,
                                  Layout.HWIO_TO_OIHW))
        rows.append(TensorMapping(f"{scope}/biases", f"{spec.torch_name}.bias", (spec.out_channels,),
                                  Layout.IDENTITY))
    return tuple(rows)


#: The TF <-> PyTorch name table: 64 rows, network order, weights before biases.
NAME_TABLE: tuple[TensorMapping, ...] = _name_table()


CARD = register_card(ArchCard(
    name="monodepth-vgg",
    description="monodepth's VGG encoder-decoder (Godard et al. 2017), also gdlg's panoramic mixed-warp model",
    origin="tensorflow",
    output_kind="disparity",
    outputs=OUTPUTS,
    size_multiple=SIZE_MULTIPLE,
    num_parameters=NUM_PARAMETERS,
    factory="panoconv.pt_model.monodepth:monodepth_vgg",
    ring_pad=True,
    options=frozenset({"ring_pad"}),
    tf_name_table=NAME_TABLE,
    tf_forward="panoconv.tf_reference.monodepth:forward",
    task="stereo",
))
