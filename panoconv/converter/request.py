"""Typed request and result of `convert`, shared by the TF and the PyTorch-checkpoint paths."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from pathlib import Path

from panoconv.arch import ArchCard
from panoconv.converter.name_map import MappingReport
from panoconv.converter.sources import OpenedSource


@dataclass(frozen=True)
class ConvertRequest:
    source: Path
    out: Path
    _: KW_ONLY
    architecture: str | None = None  # None: detect from the source
    ring_pad: bool = False
    allow_missing: bool = False
    force: bool = False
    input_order: str | None = None  # PyTorch sources: the channel order to record (default: the naming's)


@dataclass
class ConvertResult:
    out: Path
    source: OpenedSource
    report: MappingReport
    card: ArchCard
