"""Layer descriptions shared by the monodepth family (VGG and ResNet50 encoders), as data.

Every monodepth layer is upstream's `conv` (explicit symmetric pad of (k-1)//2 with zeros or ring
padding, VALID convolution, bias, then ELU / 0.3 * sigmoid / nothing) or its `deconv` (pad 1, slim's
`conv2d_transpose(n, k, stride 2, 'SAME')` with ELU, crop rows and columns [3:-1]). A network is a list
of `ConvSpec`s in upstream creation order; from that list the TF variable scopes (`slim_scoped`) and
the TF <-> PyTorch name table (`conv_name_table`) follow, so the PyTorch model, the TF reference, the
converter and the parity checker all read one description.

Pure data: no torch, no TensorFlow.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from panoconv.arch._card import ArchCard
from panoconv.arch._mapping import Layout, TensorMapping

Activation = Literal["elu", "disp", "linear"]

#: get_disp: `DISP_SCALE * sigmoid(conv(x))`; disparities are fractions of the image width.
DISP_SCALE = 0.3
#: Names of every monodepth network's outputs, full resolution first (as upstream returns them).
OUTPUTS: tuple[str, ...] = ("disp1", "disp2", "disp3", "disp4")
#: Root variable scope of the upstream graph.
TF_ROOT_SCOPE = "model"
#: slim's default scope names: `slim.conv2d` -> Conv, `slim.conv2d_transpose` -> Conv2d_transpose.
SLIM_CONV = "Conv"
SLIM_CONV_TRANSPOSE = "Conv2d_transpose"


@dataclass(frozen=True)
class ConvSpec:
    """One layer. `part` is the TF scope under `model/` and the first PyTorch module level.

    `activation`: "elu", "disp" (0.3 * sigmoid, no ELU) or "linear" (none: ResNet's conv3 / shortcut).
    `transposed`: upstream `deconv` (x2 upsampling by a stride-2 transposed conv; `stride` unused).
    `tf_scope`: the variable scope (`model/decoder/Conv_3`), given by `slim_scoped`.
    """

    part: str
    name: str
    kernel: int
    in_channels: int
    out_channels: int
    stride: int = 1
    activation: Activation = "elu"
    transposed: bool = False
    tf_scope: str = ""

    @property
    def padding(self) -> int:
        """Explicit pad on every side: (k-1)//2 for a conv, 1 for a deconv (upstream's `deconv`)."""
        return 1 if self.transposed else (self.kernel - 1) // 2

    @property
    def torch_name(self) -> str:
        """Module path in the PyTorch model, e.g. `decoder.iconv7`."""
        return f"{self.part}.{self.name}"

    @property
    def num_parameters(self) -> int:
        return self.kernel * self.kernel * self.in_channels * self.out_channels + self.out_channels

    @property
    def tf_kernel_shape(self) -> tuple[int, int, int, int]:
        """TensorFlow kernel: HWIO [k, k, in, out]; transposed convs [k, k, out, in]."""
        k = self.kernel
        if self.transposed:
            return (k, k, self.out_channels, self.in_channels)
        return (k, k, self.in_channels, self.out_channels)

    @property
    def torch_kernel_shape(self) -> tuple[int, int, int, int]:
        """PyTorch kernel: Conv2d [out, in, k, k]; ConvTranspose2d [in, out, k, k]."""
        k = self.kernel
        if self.transposed:
            return (self.in_channels, self.out_channels, k, k)
        return (self.out_channels, self.in_channels, k, k)

    @property
    def layout(self) -> Layout:
        return Layout.TRANSPOSED_TO_IOHW if self.transposed else Layout.HWIO_TO_OIHW


def slim_scoped(layers: Iterable[ConvSpec], root: str = TF_ROOT_SCOPE) -> tuple[ConvSpec, ...]:
    """The layers with their `tf_scope`, numbered as slim numbers unscoped layers in creation order.

    Within each `part`, `slim.conv2d` layers are `Conv`, `Conv_1`, ... and `slim.conv2d_transpose`
    layers `Conv2d_transpose`, `Conv2d_transpose_1`, ... (independent counters: slim makes a scope name
    unique among the scopes of the same default name).
    """
    counters: dict[tuple[str, str], int] = {}
    out = []
    for spec in layers:
        base = SLIM_CONV_TRANSPOSE if spec.transposed else SLIM_CONV
        index = counters.get((spec.part, base), 0)
        counters[(spec.part, base)] = index + 1
        scope = f"{root}/{spec.part}/{base}" + (f"_{index}" if index else "")
        out.append(dataclasses.replace(spec, tf_scope=scope))
    names = [s.torch_name for s in out]
    if len(set(names)) != len(names):
        raise ValueError("layer names are not unique")
    return tuple(out)


def conv_name_table(layers: Iterable[ConvSpec]) -> tuple[TensorMapping, ...]:
    """Two rows per layer (`<scope>/weights`, `<scope>/biases`), in layer order."""
    rows: list[TensorMapping] = []
    for spec in layers:
        if not spec.tf_scope:
            raise ValueError(f"{spec.torch_name} has no TF scope; pass the layers through slim_scoped")
        rows.append(
            TensorMapping(
                f"{spec.tf_scope}/weights", f"{spec.torch_name}.weight", spec.tf_kernel_shape, spec.layout
            )
        )
        rows.append(
            TensorMapping(
                f"{spec.tf_scope}/biases", f"{spec.torch_name}.bias", (spec.out_channels,), Layout.IDENTITY
            )
        )
    return tuple(rows)


def total_parameters(layers: Iterable[ConvSpec]) -> int:
    return sum(spec.num_parameters for spec in layers)


def decoder_layers(deepest: int, skips: tuple[int, ...], deconv: bool = False) -> list[ConvSpec]:
    """monodepth's decoder for an encoder whose deepest output has `deepest` channels and whose skips
    skip1 .. skip_{L-1} have `skips` channels (L = len(skips) + 1 levels: 7 for VGG, 6 for ResNet50).

    Level i = L .. 1, in upstream creation order: upconv_i (out min(512, 16 * 2^(i-1)) channels),
    iconv_i over concat[upconv_i, skip_{i-1} (i >= 2), udisp_{i+1} (i <= 3)], then disp_i (i <= 4).
    `deconv`: the upconvs are upstream `deconv` (`use_deconv`).
    """
    d = "decoder"
    layers: list[ConvSpec] = []
    cin = deepest
    for i in range(len(skips) + 1, 0, -1):
        out = min(512, 16 << (i - 1))
        layers.append(ConvSpec(d, f"upconv{i}", 3, cin, out, transposed=deconv))
        concat = out + (skips[i - 2] if i >= 2 else 0) + (2 if i <= 3 else 0)
        layers.append(ConvSpec(d, f"iconv{i}", 3, concat, out))
        if i <= 4:
            layers.append(ConvSpec(d, f"disp{i}", 3, out, 2, activation="disp"))
        cin = out
    return layers


def monodepth_card(
    name: str,
    description: str,
    layers: tuple[ConvSpec, ...],
    *,
    size_multiple: int,
    num_parameters: int,
    factory: str,
    tf_forward: str,
    checkpoints: tuple[str, ...] = (),
) -> ArchCard:
    """The card of one monodepth variant (any encoder): disparity outputs, ring padding, stereo training;
    stereo (6 input channels) when the first layer says so."""
    if total_parameters(layers) != num_parameters:
        raise ValueError(f"{name}: layers hold {total_parameters(layers)} parameters, not {num_parameters}")
    return ArchCard(
        name=name,
        description=description,
        origin="tensorflow",
        output_kind="disparity",
        outputs=OUTPUTS,
        size_multiple=size_multiple,
        num_parameters=num_parameters,
        factory=factory,
        input_channels=layers[0].in_channels,
        ring_pad=True,
        options=frozenset({"ring_pad"}),
        layers=layers,
        tf_name_table=conv_name_table(layers),
        tf_forward=tf_forward,
        task="stereo",
        checkpoints=checkpoints,
    )
