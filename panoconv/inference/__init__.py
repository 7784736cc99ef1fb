"""Inference: the predict layouts (rectilinear and 360-degree panorama), depth conversion and outputs.

`predict_array(model, image_hwc, camera)` for one image in Python; `predict(PredictRequest)` for files.

The names below load on first use, so the CLI can check arguments with the torch-free submodules
(`layout`, `camera`, `outputs`) before torch is imported (about 2 s).
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {"predict_array": "pipeline", "predict": "predict_files", "PredictRequest": "predict_files",
         "PredictResult": "predict_files", "PanoramaLayout": "layout"}
__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)

