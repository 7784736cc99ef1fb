"""Inference: the predict recipes (rectilinear and 360-degree panorama), depth conversion and outputs.

`predict_array(model, image_hwc, camera)` for one image in Python; `predict(PredictRequest)` for files.

The names below load on first use, so the CLI can check arguments with the torch-free submodules
(`recipe`, `camera`, `outputs`) before torch is imported (about 2 s).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

_LAZY = {"predict_array": "pipeline", "predict": "predict", "PredictRequest": "predict",
         "PredictResult": "predict", "PanoramaRecipe": "recipe"}
__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)


class _Package(types.ModuleType):
    """Importing the submodule `predict` binds the function `predict` here, as an eager import would."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and value.__name__ == f"{__name__}.{name}" and name in _LAZY:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
