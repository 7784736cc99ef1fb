"""`panoconv convert`: a TF store or checkpoint -> PyTorch weights (safetensors or .pt), strictly.

The architecture comes from `--arch` or, by default, is detected from the source's tensor names and
shapes (`panoconv.arch._detect`); its card's name table does the mapping.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from panoconv import __version__
from panoconv.arch import ArchCard, UnsupportedOptionError, get_card
from panoconv.converter.cards import model_shapes, resolve_card
from panoconv.converter.name_map import MAPPING_VERSION, MappingReport, map_to_torch
from panoconv.converter.request import ConvertRequest, ConvertResult
from panoconv.converter.sources import OpenedSource, open_source
from panoconv.io.atomic import check_can_write
from panoconv.io.overlap import argument_paths, check_not_input
from panoconv.weights.files import save_weights

log = logging.getLogger(__name__)

__all__ = ["ConvertRequest", "ConvertResult", "convert", "convert_to_state", "model_shapes", "resolve_card"]


def convert_to_state(source: Path | str | OpenedSource, architecture: str | None = None,
                     allow_missing: bool = False,
                     ) -> tuple[dict[str, np.ndarray], MappingReport, OpenedSource, ArchCard]:
    """Map a source onto the architecture's PyTorch state dict (numpy, OIHW), in memory."""
    opened = source if isinstance(source, OpenedSource) else open_source(source)
    card = resolve_card(opened, architecture, check=not allow_missing)
    state, report = map_to_torch(opened, card.tf_name_table, legacy=opened.legacy, strict=not allow_missing)
    if not report.ok:
        log.warning("incomplete conversion of %s: %s", opened.path, report.problems())
    return state, report, opened, card


def convert(request: ConvertRequest) -> ConvertResult:
    """Convert and write; nothing is written unless the mapping passes (or `allow_missing`).

    A `.pth` / `.pt` source (another project's PyTorch checkpoint) goes through `pytorch_convert`.
    """
    from panoconv.converter.pytorch_convert import convert_pytorch, is_pytorch_checkpoint

    check_not_input(request.out, argument_paths(request.source))
    if is_pytorch_checkpoint(request.source):
        return convert_pytorch(request)
    if request.input_order is not None:
        raise UnsupportedOptionError("--input-order applies to PyTorch checkpoints (.pth / .pt); TF-born "
                                     "networks take RGB in [0, 1]")
    check_can_write(request.out, request.force)
    if request.architecture is not None:
        _check_ring_pad(get_card(request.architecture), request.ring_pad)
    state, report, opened, card = convert_to_state(request.source, request.architecture,
                                                   request.allow_missing)
    _check_ring_pad(card, request.ring_pad)
    metadata = {
        "format": "pt",
        "architecture": card.name,
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
    return ConvertResult(request.out, opened, report, card)


def _check_ring_pad(card: ArchCard, ring_pad: bool) -> None:
    if ring_pad and not card.ring_pad:
        raise UnsupportedOptionError(f"{card.name} has no ring padding (--ring-pad)")
