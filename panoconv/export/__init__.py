"""Export a converted network to ONNX or TorchScript, and run an exported file (for `verify --exported`).

`export(ExportRequest)` writes the file; `load_exported(path)` runs one with onnxruntime or
`torch.jit.load`, refusing input sizes the network cannot take (from the metadata written beside
the graph).
"""

from panoconv.export.exporter import FORMATS, ExportRequest, ExportResult, export
from panoconv.export.runner import ExportedModel, load_exported

__all__ = ["FORMATS", "ExportRequest", "ExportResult", "ExportedModel", "export", "load_exported"]
