"""Converted weights on disk: safetensors (default, with provenance metadata) or a plain `.pt` state dict.

Never unpickles: `.pt` files are read with `torch.load(..., weights_only=True)`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping

import numpy as np
import torch

from panoconv.errors import CheckpointError
from panoconv.io.atomic import atomic_path, check_can_write

WEIGHT_SUFFIXES = (".safetensors", ".pt", ".pth")
#: Prefixes added by DistributedDataParallel and torch.compile; stripped on load.
_WRAPPER_PREFIXES = ("module.", "_orig_mod.")


def save_weights(state: Mapping[str, np.ndarray | torch.Tensor], path: Path, metadata: Mapping[str, object],
                 force: bool = False) -> Path:
    """Write a state dict atomically; `.safetensors` keeps `metadata` (values JSON-encoded if not str)."""
    path = Path(path)
    check_can_write(path, force)
    tensors = {k: (torch.from_numpy(np.ascontiguousarray(v)) if isinstance(v, np.ndarray) else v.contiguous())
               for k, v in state.items()}
    suffix = path.suffix.lower()
    with atomic_path(path) as tmp:
        if suffix == ".safetensors":
            from safetensors.torch import save_file

            meta = {k: v if isinstance(v, str) else json.dumps(v, sort_keys=True) for k, v in metadata.items()}
            save_file(tensors, str(tmp), metadata=meta)
        elif suffix in (".pt", ".pth"):
            torch.save(tensors, tmp)
        else:
            raise CheckpointError(f"{path}: unknown weights format; use .safetensors or .pt")
    return path


def load_weights(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Read a state dict and its metadata (empty for `.pt`). Wrapper prefixes are stripped."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such weights file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".safetensors":
            from safetensors import safe_open

            with safe_open(str(path), framework="pt") as f:
                metadata = dict(f.metadata() or {})
                state = {k: f.get_tensor(k) for k in f.keys()}
        elif suffix in (".pt", ".pth"):
            obj = torch.load(path, map_location="cpu", weights_only=True)
            metadata = {}
            if isinstance(obj, dict) and "model" in obj and isinstance(obj["model"], dict):
                obj = obj["model"]  # a training checkpoint: take the model's state
            if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
                raise CheckpointError(f"{path}: not a state dict of tensors")
            state = dict(obj)
        else:
            raise CheckpointError(f"{path}: unknown weights format; expected .safetensors or .pt")
    except CheckpointError:
        raise
    except Exception as err:  # safetensors / torch raise assorted errors on corrupt files
        raise CheckpointError(f"{path}: unreadable weights file ({type(err).__name__}: {err})") from None
    return {_strip_wrappers(k): v for k, v in state.items()}, metadata


def _strip_wrappers(key: str) -> str:
    changed = True
    while changed:
        changed = False
        for prefix in _WRAPPER_PREFIXES:
            if key.startswith(prefix):
                key, changed = key[len(prefix):], True
    return key
