"""Converted weights on disk: safetensors (default, with provenance metadata) or a plain `.pt` state dict.

Never unpickles: `.pt` files are read with `torch.load(..., weights_only=True)`. A safetensors file
records the SHA-256 of its tensors (`tensors_sha256`); loading verifies it where it is recorded, and
refuses an `architecture` that is not a plain card name (metadata is as hostile as the tensors).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch

from panoconv.errors import CheckpointError
from panoconv.io.atomic import atomic_path, check_can_write
from panoconv.io.paths import weights_file
from panoconv.weights.pytorch_source import read_pytorch_checkpoint, strip_wrappers

CONTENT_KEY = "tensors_sha256"
_ARCH_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def tensors_sha256(tensors: Mapping[str, torch.Tensor]) -> str:
    """SHA-256 over every tensor's name, dtype, shape and bytes, in name order (what is recorded)."""
    digest = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        digest.update(f"{name}\0{t.dtype}\0{list(t.shape)}\0".encode())
        digest.update(memoryview(t.reshape(-1).view(torch.uint8).numpy()))
    return digest.hexdigest()


def _check_metadata(path: Path, tensors: Mapping[str, torch.Tensor], metadata: Mapping[str, str]) -> None:
    arch = metadata.get("architecture")
    if arch is not None and not _ARCH_NAME.fullmatch(arch):
        raise CheckpointError(f"{path}: metadata architecture {arch[:60]!r} is not an architecture name")
    recorded = metadata.get(CONTENT_KEY)
    if recorded is not None and tensors_sha256(tensors) != recorded:
        raise CheckpointError(f"{path}: tensors differ from the SHA-256 recorded in its metadata; the file "
                              "is corrupt or was edited")


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

            meta = {k: v if isinstance(v, str) else json.dumps(v, sort_keys=True)
                    for k, v in metadata.items()}
            meta[CONTENT_KEY] = tensors_sha256(tensors)
            save_file(tensors, str(tmp), metadata=meta)
        elif suffix in (".pt", ".pth"):
            torch.save(tensors, tmp)
        else:
            raise CheckpointError(f"{path}: unknown weights format; use .safetensors or .pt")
    return path


def load_weights(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Read a state dict and its metadata (empty for `.pt`). Wrapper prefixes are stripped."""
    path = weights_file(path)  # a folder holding exactly one weights file (a training run's) is accepted
    suffix = path.suffix.lower()
    try:
        if suffix == ".safetensors":
            from safetensors import safe_open

            with safe_open(str(path), framework="pt") as f:
                metadata = dict(f.metadata() or {})
                state = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118  (a safe_open handle is not a mapping)
            _check_metadata(path, state, metadata)
        elif suffix in (".pt", ".pth"):  # any project's checkpoint container (pytorch_source.py)
            ckpt = read_pytorch_checkpoint(path)
            state = ckpt.state
            metadata = {"pytorch_container": ckpt.container}
            if ckpt.epoch is not None:
                metadata["epoch"] = str(ckpt.epoch)
        else:
            raise CheckpointError(f"{path}: unknown weights format; expected .safetensors or .pt")
    except CheckpointError:
        raise
    except Exception as err:  # noqa: BLE001  (safetensors / torch raise assorted errors on corrupt files)
        raise CheckpointError(f"{path}: unreadable weights file ({type(err).__name__}: {err})") from None
    return {strip_wrappers(k)[0]: v for k, v in state.items()}, metadata
