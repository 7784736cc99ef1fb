"""The TF <-> PyTorch tensor mapping as data: one row per tensor, with the layout change it needs."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np


class Layout(Enum):
    """How a TensorFlow array becomes the PyTorch one."""

    IDENTITY = "identity"
    #: conv kernel [kh, kw, in, out] -> Conv2d [out, in, kh, kw]
    HWIO_TO_OIHW = "hwio->oihw"
    #: transposed-conv kernel [kh, kw, out, in] -> ConvTranspose2d [in, out, kh, kw] (the same axis swap)
    TRANSPOSED_TO_IOHW = "hwoi->iohw"

    def to_torch(self, array: np.ndarray) -> np.ndarray:
        if self is Layout.IDENTITY:
            return array
        return np.ascontiguousarray(array.transpose(3, 2, 0, 1))

    def to_tf(self, array: np.ndarray) -> np.ndarray:
        if self is Layout.IDENTITY:
            return array
        return np.ascontiguousarray(array.transpose(2, 3, 1, 0))


@dataclass(frozen=True)
class TensorMapping:
    """One row of the name table: where a TF variable lives in the PyTorch state dict."""

    tf_name: str
    torch_name: str
    tf_shape: tuple[int, ...]
    layout: Layout

    @property
    def torch_shape(self) -> tuple[int, ...]:
        return tuple(self.layout.to_torch(np.empty(self.tf_shape, dtype=np.uint8)).shape)
