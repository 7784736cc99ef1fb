"""What the trainer needs from a kind of training, and nothing more.

A `Task` builds the model and computes the loss of one batch. The trainer owns everything else
(data loading, optimisation, checkpoints, logging, DDP), so a new task is a small class.
"""

from __future__ import annotations

from typing import Any, Mapping, Protocol

from torch import nn

from panoconv.losses import LossOutput


class Task(Protocol):
    #: e.g. "stereo" (self-supervised monodepth) or "supervised" (OmniDepth on 3D60)
    name: str

    def build_model(self) -> nn.Module:
        """A fresh model (the trainer may then load `--init` weights into it)."""

    def loss(self, model: nn.Module, batch: Mapping[str, Any]) -> LossOutput:
        """Forward `batch` through `model` and return the loss; `batch` comes from the task's data."""
