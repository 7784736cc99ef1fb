"""`panoconv convert`: a TF store or checkpoint -> PyTorch weights (safetensors or .pt), strictly."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from panoconv import __version__
from panoconv.arch import name_table
from panoconv.converter.name_map import MAPPING_VERSION, MappingReport, map_to_torch
from panoconv.converter.sources import OpenedSource, open_source
from panoconv.io.atomic import check_can_write
from panoconv.weights.files import save_weights

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConvertRequest:
    source: Path
    out: Path
    architecture: str = "monodepth-vgg"
    ring_pad: bool = False
    allow_missing: bool = False
    force: bool = False


@dataclass
class ConvertResult:
    out: Path
    source: OpenedSource
    report: MappingReport


def convert_to_state(source: Path | str | OpenedSource, architecture: str = "monodepth-vgg",
                     allow_missing: bool = False) -> tuple[dict[str, np.ndarray], MappingReport, OpenedSource]:
    """Map a source onto the architecture's PyTorch state dict (numpy, OIHW), in memory."""
    opened = source if isinstance(source, OpenedSource) else open_source(source)
    state, report = map_to_torch(opened, name_table(architecture), legacy=opened.legacy, strict=not allow_missing)
    if not report.ok:
        log.warning("incomplete conversion of %s: %s", opened.path, report.problems())
    return state, report, opened


def convert(request: ConvertRequest) -> ConvertResult:
    """Convert and write; nothing is written unless the mapping passes (or `allow_missing`)."""
    check_can_write(request.out, request.force)
    state, report, opened = convert_to_state(request.source, request.architecture, request.allow_missing)
    metadata = {
        "format": "pt",
        "architecture": request.architecture,
        "ring_pad": "true" if request.ring_pad else "false",
        "source": str(opened.path),
        "source_kind": opened.kind,
        "source_sha256": opened.fingerprint,
        "global_step": "" if opened.global_step is None else str(opened.global_step),
        "mapping_version": MAPPING_VERSION,
        "panoconv_version": __version__,
        "mapping_report": report.as_dict(),
    }
    save_weights(state, request.out, metadata, force=request.force)
    return ConvertResult(request.out, opened, report)
