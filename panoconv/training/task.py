"""What the trainer needs from a kind of training, and nothing more.

A `Task` builds the model and computes the loss of one batch. The trainer owns everything else
(data loading, optimisation, snapshots, logging, DDP), so a new task is a small class.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from torch import nn

from panoconv.losses import LossOutput
from panoconv.training.config import DataSpec


class Task(Protocol):
    #: e.g. "stereo" (self-supervised monodepth) or "supervised" (OmniDepth on 3D60)
    name: str

    def build_model(self) -> nn.Module:
        """A fresh model (the trainer may then load `--init` weights into it)."""

    def loss(self, model: nn.Module, batch: Mapping[str, Any]) -> LossOutput:
        """Forward `batch` through `model` and return the loss; `batch` comes from the task's data."""


class TrainableTask(Task, Protocol):
    """What `panoconv.training.train` needs beyond `Task`: data and the task's own recipe defaults.

    - `build_dataset(spec, training)`: a map-style data set for one `DataSpec`; samples are dicts that
      `default_collate` can batch (a sample may be None when `skip_bad` drops it). If the data set has
      `set_epoch(epoch)`, the trainer calls it before every epoch (reproducible augmentation).
      Floating-point tensors must be finite (mark invalid pixels with a mask): the trainer stops on
      NaN/inf input and names the rows through the data set's optional `describe(index) -> str`.
    - `make_optimizer(model)`: the task's optimizer (e.g. TF1 Adam, bias lr x2).
    - `make_scheduler(optimizer, steps_per_epoch)`: stepped once per optimisation step.
    - optional `sample_images(model, batch) -> dict[str, (C, H, W) tensor in [0, 1]]` for TensorBoard.
    """

    def build_dataset(self, spec: DataSpec, training: bool) -> Any:
        """The data set of `spec` (a `panoconv.training.config.DataSpec`)."""

    def make_optimizer(self, model: nn.Module) -> Any:
        """A torch optimizer over `model`'s parameters."""

    def make_scheduler(self, optimizer: Any, steps_per_epoch: int) -> Any:
        """A torch LR scheduler, stepped after every optimizer step."""
