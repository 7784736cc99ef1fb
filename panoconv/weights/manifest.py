"""The manifest that travels with extracted weights: what was written, from what, and what was not.

Per tensor it records the SHA-256 of the raw little-endian C-order bytes, which is the same for the
folder, npz and h5 layouts, so `open_store` can verify any of them against the same manifest.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from panoconv.errors import CheckpointError

FORMAT = "panoconv-weights"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class TensorRecord:
    name: str
    file: str
    shape: tuple[int, ...]
    dtype: str
    sha256: str
    bytes: int


@dataclass(frozen=True)
class SourceFile:
    name: str
    bytes: int
    sha256: str


@dataclass(frozen=True)
class LeftOut:
    name: str
    reason: str


@dataclass
class Manifest:
    layout: str
    source: str
    source_files: list[SourceFile]
    global_step: int | None
    panoconv_version: str
    include_optimizer: bool = False
    tensors: list[TensorRecord] = field(default_factory=list)
    left_out: list[LeftOut] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(t.bytes for t in self.tensors)

    def to_dict(self) -> dict[str, Any]:
        data = {"format": FORMAT, "format_version": FORMAT_VERSION, **asdict(self)}
        for t in data["tensors"]:
            t["shape"] = list(t["shape"])
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: Path | str) -> Manifest:
        """Parse a manifest; a malformed one is a `CheckpointError` naming `where`."""
        try:
            if data.get("format") != FORMAT:
                raise ValueError(f"format is {data.get('format')!r}, expected {FORMAT!r}")
            return cls(
                layout=data["layout"], source=data["source"],
                source_files=[SourceFile(**s) for s in data["source_files"]],
                global_step=data["global_step"], panoconv_version=data["panoconv_version"],
                include_optimizer=data.get("include_optimizer", False),
                tensors=[TensorRecord(**{**t, "shape": tuple(t["shape"])}) for t in data["tensors"]],
                left_out=[LeftOut(**x) for x in data["left_out"]],
            )
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise CheckpointError(f"{where}: malformed weight-store manifest ({err})") from None

    @classmethod
    def from_json(cls, text: str | bytes, where: Path | str) -> Manifest:
        try:
            data = json.loads(text)
        except (ValueError, UnicodeDecodeError) as err:
            raise CheckpointError(f"{where}: manifest is not valid JSON ({err})") from None
        if not isinstance(data, dict):
            raise CheckpointError(f"{where}: manifest is not a JSON object")
        return cls.from_dict(data, where)


def array_sha256(array: np.ndarray) -> str:
    """SHA-256 of the array's little-endian C-order bytes (what `extract` hashes while streaming)."""
    le = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
    return hashlib.sha256(memoryview(le.reshape(-1).view(np.uint8))).hexdigest()


def file_sha256(path: Path, chunk: int = 8 << 20) -> str:
    digest = hashlib.sha256()
    buffer = memoryview(bytearray(chunk))
    with open(path, "rb", buffering=0) as f:
        while got := f.readinto(buffer):
            digest.update(buffer[:got])
    return digest.hexdigest()
