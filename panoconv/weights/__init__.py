"""Weights on disk: raw-numpy stores (from `extract`), safetensors / .pt files, and `load_model`."""

from panoconv.weights.files import load_weights, save_weights
from panoconv.weights.loading import load_model

__all__ = ["load_model", "load_weights", "save_weights"]
