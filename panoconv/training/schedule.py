"""Learning-rate schedule overrides for fine-tuning: `--lr-schedule`, `--lr-warmup`, `--lr-schedule-steps`.

Without overrides the task's own scheduler runs (stereo: halved at 3/5 and 4/5; supervised: StepLR).
With any override the lr of the update at 0-based step s is `lr * warmup(s) * shape(s)`:

- `warmup(s) = (s + 1) / W` for s < W (linear from lr/W up to lr), else 1;
- `shape`: `recipe` (the task's factor), `constant` (1), `halving` (1, 1/2 after int(3/5 T), 1/4 after
  int(4/5 T), as monodepth) or `cosine` (from 1 at the end of the warm-up to 0 at T);
- T, where the schedule ends, is `--lr-schedule-steps`, else the run's epochs x batches per epoch; after
  T the last factor is kept. A schedule whose warm-up does not finish before it ends (W >= T) is refused.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from panoconv.training.config import LR_SCHEDULES as SCHEDULES
from panoconv.training.config import ConfigError, TrainConfig

Factor = Callable[[int], float]


def halving(total_steps: int) -> Factor:
    """lr factor of the update at 0-based step s: 1, then 1/2 after int(3/5 T), then 1/4 after int(4/5 T)."""
    first, second = int(0.6 * total_steps), int(0.8 * total_steps)

    def factor(step: int) -> float:
        return 1.0 if step <= first else (0.5 if step <= second else 0.25)

    return factor


def cosine(start: int, end: int) -> Factor:
    """1 until `start`, half a cosine down to 0 at `end`, 0 after."""

    def factor(step: int) -> float:
        progress = min(max(step - start, 0) / (end - start), 1.0)
        return 0.5 * (1.0 + math.cos(math.pi * progress))

    return factor


def overridden(config: TrainConfig) -> bool:
    """Whether the config asks for anything but the task's own scheduler."""
    return (config.lr_schedule not in (None, "recipe") or bool(config.lr_warmup)
            or config.lr_schedule_steps is not None)


def schedule_factor(config: TrainConfig, task: Any, steps_per_epoch: int) -> Factor:
    """The lr factor per 0-based step for a config with overrides (see the module docstring)."""
    end = config.lr_schedule_steps or steps_per_epoch * int(config.epochs)
    warm = int(config.lr_warmup or 0)
    if warm >= end:
        raise ConfigError(f"the lr schedule ends at step {end} before its warm-up of {warm} steps finishes; "
                          "lower --lr-warmup or raise --lr-schedule-steps / --epochs")
    name = config.lr_schedule or "recipe"
    if name == "recipe":
        recipe = getattr(task, "lr_factor", None)
        if recipe is None:
            others = "|".join(s for s in SCHEDULES if s != "recipe")
            raise ConfigError(f"--task {config.task} has no recipe schedule to override; choose "
                              f"--lr-schedule {others}")
        shape = recipe(steps_per_epoch, end)
    elif name == "constant":
        shape = _one
    elif name == "halving":
        shape = halving(end)
    else:
        shape = cosine(warm, end)

    def factor(step: int) -> float:
        s = min(step, end - 1)
        return (min(s + 1, warm) / warm if warm and s < warm else 1.0) * shape(s)

    return factor


def _one(step: int) -> float:
    return 1.0


def build_scheduler(config: TrainConfig, task: Any, optimizer: torch.optim.Optimizer,
                    steps_per_epoch: int) -> Any:
    """The task's scheduler, or a `LambdaLR` over `schedule_factor` when the config overrides it."""
    if not overridden(config):
        return task.make_scheduler(optimizer, steps_per_epoch)
    return torch.optim.lr_scheduler.LambdaLR(optimizer, schedule_factor(config, task, steps_per_epoch))
