"""`export_weights`: a run folder or training snapshot -> weights-only safetensors for `panoconv predict`.

Metadata: architecture (so `panoconv.weights.load_model` rebuilds the right network), task, steps,
config hash and the run's config JSON, format "pt" (PyTorch layout, no transposes needed).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from panoconv.training.config import TrainConfig
from panoconv.training.snapshots import load_snapshot, resolve_snapshot
from panoconv.weights import save_weights


def weights_metadata(config: TrainConfig, step: int) -> dict[str, str]:
    return {"architecture": str(config.arch), "task": config.task, "steps": str(step),
            "config_hash": config.config_hash(), "config": json.dumps(config.identity(), sort_keys=True),
            "format": "pt", "source": "panoconv train"}


def write_weights(state: Mapping[str, torch.Tensor], config: TrainConfig, step: int, out: Path,
                  force: bool = True) -> Path:
    """Save a model state dict (detached CPU copies) with the run's provenance."""
    tensors: dict[str, Any] = {k: v.detach().cpu() for k, v in state.items()}
    return save_weights(tensors, Path(out), weights_metadata(config, step), force=force)


def export_weights(run_dir_or_ckpt: Path | str, out: Path | str, force: bool = False) -> Path:
    """Export the model of a run's latest snapshot (or of one snapshot file) to `out`."""
    ckpt = load_snapshot(resolve_snapshot(Path(run_dir_or_ckpt)))
    config = TrainConfig.from_dict(ckpt["config"])
    return write_weights(ckpt["model"], config, int(ckpt["step"]), Path(out), force=force)
