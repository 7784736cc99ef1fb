"""PyTorch training: a generic trainer driven by a `Task` (self-supervised stereo, supervised depth).

Entry points: `train(TrainConfig(...)) -> TrainResult` (also under `torchrun`), `export_weights(run, out)`.
Tasks are registered in `panoconv.training.registry.TASKS` (see that module for how to add one).
Imports are lazy so that `import panoconv.training.optim` stays light.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "TASKS",
    "DataSpec",
    "TaskDefaults",
    "TrainConfig",
    "TrainResult",
    "TrainingDiverged",
    "export_weights",
    "register_task",
    "train",
]

_WHERE = {
    "DataSpec": "config", "TrainConfig": "config", "TrainResult": "trainer", "TrainingDiverged": "trainer",
    "train": "trainer", "export_weights": "export", "register_task": "registry", "TaskDefaults": "registry",
    "TASKS": "registry",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f"panoconv.training.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'panoconv.training' has no attribute {name!r}")
