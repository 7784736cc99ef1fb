"""What travels inside an exported file: the card, ring padding, input convention and allowed sizes.

ONNX keeps it as `metadata_props` (key `panoconv`), TorchScript as the extra file `panoconv.json`;
both hold the same JSON object, so the runner can refuse a size without running the graph.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from panoconv.errors import InputShapeError, PanoconvError

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
        if len(shape) != 4 or shape[1] != self.input_channels:
            raise InputShapeError(f"{where}: expected N x {self.input_channels} x H x W, got {tuple(shape)}")
        h, w, m = shape[2], shape[3], self.size_multiple
        if not self.dynamic and (h, w) != (self.height, self.width):
            raise InputShapeError(f"{where}: exported for {self.height}x{self.width} only, got {h}x{w}")
        if h <= 0 or w <= 0 or h % m or w % m:
            raise InputShapeError(f"{where}: height and width must be positive multiples of {m}, got {h}x{w}")
