"""`export(ExportRequest) -> ExportResult`: converted weights -> an ONNX or TorchScript file.

The network is traced at the example size; height and width stay free (any multiple of the card's
size multiple) except for cards trained at one fixed size. Before the file is renamed into place it is
loaded back and run against the PyTorch model at the example size and, when dynamic, at a second
size, so a graph that baked a size in is never written. ONNX uses the TorchScript-based exporter
(opset 17; no onnxscript needed) and needs the `onnx` package; checking it needs `onnxruntime`
(`pip install panoconv[export]`).
"""

from __future__ import annotations

import hashlib
import logging
import warnings
from dataclasses import KW_ONLY, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from panoconv import __version__
from panoconv.arch import ArchCard, card_of
from panoconv.errors import PanoconvError
from panoconv.export._meta import META_KEY, TORCHSCRIPT_EXTRA, ExportMeta
from panoconv.io.atomic import atomic_path, check_can_write

log = logging.getLogger(__name__)
FORMATS = ("onnx", "torchscript")
OPSET = 17


@dataclass(frozen=True)
class ExportRequest:
    weights: Path
    out: Path
    _: KW_ONLY
    format: str = "onnx"
    height: int | None = None  # example size; default: the card's predict size
    width: int | None = None
    ring_pad: bool | None = None  # None: as recorded in the weights
    arch: str | None = None
    force: bool = False


@dataclass(frozen=True)
class ExportResult:
    path: Path
    meta: ExportMeta
    max_abs_diff: dict[str, float]  # "HxW" -> max |exported - PyTorch| over all outputs


def export(req: ExportRequest) -> ExportResult:
    """Write `req.out`; see the module docstring. Bad sizes / formats are one-line `PanoconvError`s."""
    from panoconv.weights import load_model

    if req.format not in FORMATS:
        raise PanoconvError(f"--format {req.format}: choose one of {', '.join(FORMATS)}")
    check_can_write(req.out, req.force)
    model = load_model(req.weights, architecture=req.arch, ring_pad=req.ring_pad)
    card = card_of(model)
    height, width = req.height or card.predict_size[0], req.width or card.predict_size[1]
    check_export_size(card, height, width)
    meta = ExportMeta(arch=card.name, format=req.format, ring_pad=bool(getattr(model, "ring_pad", False)),
                      input_channels=card.input_channels, size_multiple=card.size_multiple,
                      dynamic=not card.fixed_size, height=height, width=width, outputs=card.outputs,
                      input_order=getattr(model, "input_order", "rgb"),
                      input_scale=float(getattr(model, "input_scale", 1.0)),
                      source_sha256=_sha256(req.weights), panoconv_version=__version__)
    example = torch.rand(1, card.input_channels, height, width, generator=torch.Generator().manual_seed(0))
    req.out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(req.out) as tmp:
        log.info("tracing %s at %dx%d to %s", card.name, height, width, req.format)
        (_write_onnx if req.format == "onnx" else _write_torchscript)(model, example, meta, tmp)
        diffs = _self_check(model, tmp, meta)
    log.info("wrote %s (max |exported - PyTorch|: %s)", req.out,
             ", ".join(f"{k} {v:.2e}" for k, v in diffs.items()))
    return ExportResult(req.out, meta, diffs)


def check_export_size(card: ArchCard, height: int, width: int) -> None:
    """The example size must be one the network takes (fixed-size cards: exactly their size)."""
    if card.fixed_size and (height, width) != tuple(card.predict_size):
        h, w = card.predict_size
        raise PanoconvError(f"{card.name} takes {h}x{w} input only (trained at one size), "
                            f"got {height}x{width}")
    card.check_size(height, width)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _Outputs(nn.Module):
    """The model with its outputs as a tuple (what both exporters want), in the card's order."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        out = self.model(x)
        return (out,) if isinstance(out, torch.Tensor) else tuple(out)


def _write_onnx(model: nn.Module, example: torch.Tensor, meta: ExportMeta, path: Path) -> None:
    try:
        import onnx
    except ImportError:
        raise PanoconvError("ONNX export needs the onnx package: pip install 'panoconv[export]'") from None
    axes = {0: "batch", 2: "height", 3: "width"} if meta.dynamic else {0: "batch"}
    dynamic_axes = {"image": axes, **dict.fromkeys(meta.outputs, axes)}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer notes on the Python size checks, exporter deprecation
        torch.onnx.export(_Outputs(model), (example,), str(path), dynamo=False, opset_version=OPSET,
                          input_names=["image"], output_names=list(meta.outputs), dynamic_axes=dynamic_axes)
    proto = onnx.load(str(path))
    entry = proto.metadata_props.add()
    entry.key, entry.value = META_KEY, meta.to_json()
    onnx.save(proto, str(path))


def _write_torchscript(model: nn.Module, example: torch.Tensor, meta: ExportMeta, path: Path) -> None:
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(_Outputs(model), (example,), check_trace=False)
    torch.jit.save(traced, str(path), _extra_files={TORCHSCRIPT_EXTRA: meta.to_json()})


def _self_check(model: nn.Module, path: Path, meta: ExportMeta) -> dict[str, float]:
    """Run the written file and the PyTorch model at the example size (and a second size if dynamic)."""
    from panoconv.export.runner import load_exported

    exported = load_exported(path, meta.format)
    m = meta.size_multiple
    sizes = [(meta.height, meta.width)] + ([(meta.height + m, meta.width + 2 * m)] if meta.dynamic else [])
    diffs = {}
    gen = torch.Generator().manual_seed(1)
    for h, w in sizes:
        x = torch.rand(1, meta.input_channels, h, w, generator=gen)
        with torch.no_grad():
            ref = _Outputs(model)(x)
        got = exported(x.numpy())
        worst = max(float(np.abs(a - b.numpy()).max()) for a, b in zip(got, ref))
        if not worst <= 1e-4:
            raise PanoconvError(f"exported graph differs from the PyTorch model at {h}x{w} "
                                f"(max abs {worst:.3g}); nothing written")
        diffs[f"{h}x{w}"] = worst
    return diffs
