"""`panoconv convert that.pth --arch rectnet -o x.safetensors`: a PyTorch checkpoint of another project.

The `.pth` is read with `weights_only=True` in any container (`panoconv.weights.pytorch_source`), its
keys renamed onto the card through the card's key map (or taken as they are when they already are the
card's own), strictly: every parameter filled once, every tensor used, every shape equal, all finite.
Nothing is transposed, so the converted model computes exactly what the source module did.

Metadata of the safetensors file: architecture, the source file and its sha256, its container, naming
and epoch, and the input the weights expect (`input_order` rgb|bgr, `input_scale`: pixels in
[0, input_scale]), which `load_model` puts on the model and predict applies.
"""

from __future__ import annotations

from pathlib import Path

from panoconv import __version__
from panoconv.converter.name_map import MAPPING_VERSION, MappingReport
from panoconv.converter.request import ConvertRequest, ConvertResult
from panoconv.converter.sources import OpenedSource
from panoconv.errors import PanoconvError
from panoconv.io.atomic import check_can_write
from panoconv.weights.files import save_weights
from panoconv.weights.loading import INPUT_ORDERS, resolve_weights
from panoconv.weights.manifest import file_sha256
from panoconv.weights.pytorch_source import PYTORCH_SUFFIXES, read_pytorch_checkpoint

SOURCE_KIND = "pytorch-checkpoint"


def is_pytorch_checkpoint(path: Path | str) -> bool:
    return Path(path).suffix.lower() in PYTORCH_SUFFIXES and Path(path).is_file()


def convert_pytorch(request: ConvertRequest) -> ConvertResult:
    """Convert a `.pth` / `.pt` and write it; nothing is written unless every tensor maps."""
    check_can_write(request.out, request.force)
    if request.allow_missing:
        raise PanoconvError("--allow-missing applies to TensorFlow sources; a PyTorch checkpoint is mapped "
                            "strictly")
    if request.input_order is not None and request.input_order not in INPUT_ORDERS:
        raise PanoconvError(f"--input-order must be one of {', '.join(INPUT_ORDERS)}")
    ckpt = read_pytorch_checkpoint(request.source)
    resolved = resolve_weights(ckpt.path, ckpt.state, {}, request.architecture)
    card = resolved.card
    if request.ring_pad and not card.ring_pad:
        raise PanoconvError(f"{card.name} has no ring padding (--ring-pad)")
    order = request.input_order or resolved.input_order
    sha = file_sha256(ckpt.path)
    report = MappingReport(filled=sorted(resolved.state))
    metadata = {
        "format": "pt",
        "architecture": card.name,
        "ring_pad": "true" if request.ring_pad else "false",
        "source": str(ckpt.path),
        "source_kind": SOURCE_KIND,
        "source_sha256": sha,
        "source_container": ckpt.container,
        "source_naming": resolved.naming,
        "epoch": "" if ckpt.epoch is None else str(ckpt.epoch),
        "global_step": "",
        "input_order": order,
        "input_scale": repr(resolved.input_scale),
        "mapping_version": MAPPING_VERSION,
        "panoconv_version": __version__,
        "mapping_report": {**report.as_dict(), "renamed_from": resolved.naming,
                           "left_out": list(ckpt.other_keys)},
    }
    save_weights(resolved.state, request.out, metadata, force=request.force)
    opened = OpenedSource(SOURCE_KIND, ckpt.path, False, None, sha, sorted(ckpt.state), None)
    return ConvertResult(request.out, opened, report, card)
