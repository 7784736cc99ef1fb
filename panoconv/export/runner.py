"""Run an exported file: ONNX through onnxruntime (CPU), TorchScript through `torch.jit.load`.

Only load TorchScript files you trust: a TorchScript program is code. ONNX files are data; the
file's size is checked against what a graph of this network can need before onnxruntime parses it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from panoconv.errors import PanoconvError
from panoconv.export._meta import META_KEY, TORCHSCRIPT_EXTRA, ExportMeta

MAX_FILE_BYTES = 4 << 30  # the largest card (ResNet50 monodepth) is ~230 MB in float32


class ExportedModel:
    """`model(x)`: (N, C, H, W) float32 numpy -> list of numpy outputs in the card's order.

    `session`: the onnxruntime session of an ONNX file (None for TorchScript)."""

    def __init__(self, path: Path, meta: ExportMeta, run, session: object | None = None) -> None:
        self.path, self.meta, self._run, self.session = path, meta, run, session

    def __call__(self, x: np.ndarray) -> list[np.ndarray]:
        self.meta.check_input(tuple(x.shape), str(self.path))
        return self._run(np.ascontiguousarray(x, dtype=np.float32))


def detect_format(path: Path) -> str:
    """TorchScript files are zip archives; anything else is taken as ONNX (protobuf)."""
    with open(path, "rb") as f:
        return "torchscript" if f.read(4) == b"PK\x03\x04" else "onnx"


def load_exported(path: Path | str, fmt: str | None = None, *, threads: int | None = None) -> ExportedModel:
    """Load an exported file. `threads`: onnxruntime's intra-op thread count (None: its default, all
    cores), e.g. to compare it with another framework at the same count; TorchScript runs on torch's
    own pool (`torch.set_num_threads`)."""
    path = Path(path)
    if threads is not None and threads < 1:
        raise PanoconvError(f"threads must be at least 1, got {threads}")
    if not path.is_file():
        raise PanoconvError(f"{path}: no such exported model")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise PanoconvError(f"{path}: {path.stat().st_size} bytes is larger than any exported network")
    fmt = fmt or detect_format(path)
    return _load_onnx(path, threads) if fmt == "onnx" else _load_torchscript(path)


def _load_onnx(path: Path, threads: int | None) -> ExportedModel:
    try:
        import onnxruntime as ort
    except ImportError:
        raise PanoconvError("running ONNX files needs onnxruntime: pip install 'panoconv[export]'") from None
    options = ort.SessionOptions()
    options.log_severity_level = 3
    if threads is not None:
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    try:
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    # onnxruntime raises its own exception types for unreadable graphs
    except Exception as err:  # noqa: BLE001
        raise PanoconvError(f"{path}: not a readable ONNX model ({str(err).splitlines()[0][:200]})") from None
    props = session.get_modelmeta().custom_metadata_map
    if META_KEY not in props:
        raise PanoconvError(f"{path}: an ONNX model without panoconv metadata (not written by panoconv "
                            "export)")
    meta = ExportMeta.from_json(props[META_KEY], str(path))
    name = session.get_inputs()[0].name
    return ExportedModel(path, meta, lambda x: session.run(None, {name: x}), session)


def _load_torchscript(path: Path) -> ExportedModel:
    import torch

    extra = {TORCHSCRIPT_EXTRA: ""}
    try:
        module = torch.jit.load(str(path), map_location="cpu", _extra_files=extra)
    except RuntimeError as err:
        first = str(err).splitlines()[0][:200]
        raise PanoconvError(f"{path}: not a readable TorchScript file ({first})") from None
    if not extra[TORCHSCRIPT_EXTRA]:
        raise PanoconvError(f"{path}: a TorchScript file without panoconv metadata (not written by panoconv "
                            "export)")
    meta = ExportMeta.from_json(extra[TORCHSCRIPT_EXTRA], str(path))
    module.eval()

    def run(x: np.ndarray) -> list[np.ndarray]:
        with torch.no_grad():
            return [t.numpy() for t in module(torch.from_numpy(x))]

    return ExportedModel(path, meta, run)
