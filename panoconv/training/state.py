"""`RunState`: the live objects of a run (model, optimiser, scheduler, counters) and their snapshot form.

Counters: `step` counts optimiser updates, `position` counts batches consumed (a batch skipped
because all its samples were unreadable advances `position` only). With a fixed number of batches per
epoch, `position` alone says where in which epoch to continue.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from panoconv.errors import SnapshotError
from panoconv.training.config import TrainConfig
from panoconv.training.distributed import unwrap
from panoconv.training.snapshots import capture_rng, load_snapshot, restore_rng, save_snapshot

log = logging.getLogger(__name__)


@dataclass
class RunState:
    config: TrainConfig
    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: Any
    steps_per_epoch: int
    step: int = 0
    position: int = 0
    world_size: int = 1
    scaler: Any = None  # torch.amp.GradScaler (fp16 on CUDA); its loss scale is part of the trajectory

    @property
    def epoch(self) -> int:
        return self.position // self.steps_per_epoch

    @property
    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def to_snapshot(self) -> dict[str, Any]:
        scaler = {"scaler": self.scaler.state_dict()} if self.scaler is not None else {}
        return {**scaler,
            "step": self.step, "position": self.position, "epoch": self.epoch,
            "steps_per_epoch": self.steps_per_epoch, "world_size": self.world_size,
            "config": self.config.to_dict(),
            "model": unwrap(self.model).state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "rng": capture_rng(),
        }

    def save(self, run_dir: Path) -> Path:
        path = save_snapshot(run_dir, self.to_snapshot(), keep=self.config.keep_snapshots)
        log.info("snapshot %s (step %d)", path, self.step)
        return path

    def restore(self, path: Path, ckpt: dict[str, Any] | None = None) -> None:
        """Load model, optimiser, scheduler, counters and RNG states from a snapshot file.

        `ckpt` is the already loaded content of `path`, if the caller has it. Loaded on the CPU (RNG
        states must stay there); load_state_dict copies onto the model's device.
        """
        if ckpt is None:
            ckpt = load_snapshot(path, map_location="cpu")
        if int(ckpt["steps_per_epoch"]) != self.steps_per_epoch:
            raise SnapshotError(f"{path}: was written with {ckpt['steps_per_epoch']} batches per epoch, "
                                  f"this run has {self.steps_per_epoch} (data or batch size changed)")
        try:
            unwrap(self.model).load_state_dict(ckpt["model"], strict=True)
            self.optimizer.load_state_dict(ckpt["optimizer"])
        except (RuntimeError, ValueError, KeyError) as err:
            raise SnapshotError(f"{path}: does not fit this run's model/optimizer: "
                                  f"{str(err).splitlines()[0]}") from None
        self.scheduler.load_state_dict(ckpt["scheduler"])
        self._restore_scaler(path, ckpt)
        restore_rng(ckpt["rng"])
        self.step, self.position = int(ckpt["step"]), int(ckpt["position"])
        log.info("resumed from %s at step %d (epoch %d)", path, self.step, self.epoch)

    def _restore_scaler(self, path: Path, ckpt: dict[str, Any]) -> None:
        """The fp16 loss scale and its growth tracker: without them a resumed run would restart at the
        initial scale and take other steps than the uninterrupted one (skipped overflow steps differ)."""
        saved = ckpt.get("scaler")
        if self.scaler is None:
            if saved:
                log.info("%s: holds an fp16 loss scale; this run does not use one (ignored)", path)
            return
        if not saved:
            log.warning("%s: has no fp16 loss scale (written in another precision); the scale starts anew",
                        path)
            return
        self.scaler.load_state_dict(saved)
