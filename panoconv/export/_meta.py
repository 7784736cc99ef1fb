"""What travels inside an exported file: the card, ring padding, input convention and allowed sizes.

ONNX keeps it as `metadata_props` (key `panoconv`), TorchScript as the extra file `panoconv.json`;
both hold the same JSON object, so the runner can refuse a size without running the graph.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from panoconv.errors import InputShapeError, PanoconvError
from panoconv.guards import check_shape, check_size_multiple

META_KEY = "panoconv"
TORCHSCRIPT_EXTRA = "panoconv.json"


@dataclass(frozen=True)
class ExportMeta:
    arch: str
    format: str
    ring_pad: bool
    input_channels: int
    size_multiple: int
    dynamic: bool  # height / width free (multiples of size_multiple); else only (height, width)
    height: int  # the example size traced
    width: int
    outputs: tuple[str, ...]
    input_order: str = "rgb"
    input_scale: float = 1.0
    source_sha256: str = ""
    panoconv_version: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str, where: str) -> ExportMeta:
        try:
            raw = json.loads(text)
            raw["outputs"] = tuple(raw["outputs"])
            return cls(**raw)
        except (ValueError, TypeError, KeyError) as err:
            raise PanoconvError(f"{where}: panoconv metadata unreadable ({err})") from None

    def check_input(self, shape: tuple[int, ...], where: str) -> None:
        """One-line `InputShapeError` unless `shape` is (N, C, H, W) that the exported graph takes."""
        c = self.input_channels
        check_shape(shape, (None, c, None, None), f"N x {c} x H x W", where=where)
        h, w = shape[2], shape[3]
        if not self.dynamic and (h, w) != (self.height, self.width):
            raise InputShapeError(f"{where}: exported for {self.height}x{self.width} only, got {h}x{w}")
        check_size_multiple(h, w, self.size_multiple, where=where)
