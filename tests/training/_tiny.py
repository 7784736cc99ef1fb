"""A tiny task (a 2-layer conv net regressing a fixed target) so trainer tests run in milliseconds.

Also the worked example of adding a task: `register_task` + an object with the `TrainableTask` methods.
Importing this module registers it as "tiny-test".
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset

from panoconv.errors import NonFiniteError
from panoconv.losses import LossOutput
from panoconv.training.config import DataSpec, TrainConfig
from panoconv.training.registry import TASKS, TaskDefaults, register_task

#: test hooks: make the loss NaN on this call number (1-based); record each batch's warps
NAN_AT_CALL: int | None = None
SEEN_WARPS: list[set[str]] = []
#: send these signals to this process during loss call number N: {N: [signal, ...]}
SIGNALS_AT_CALL: dict[int, list[int]] = {}
#: sample index whose input holds a NaN
NAN_INPUT_INDEX: int | None = None
#: on this loss call, set the first conv weight to NaN first (the prediction then is NaN)
NAN_WEIGHT_AT_CALL: int | None = None


class TinyData(Dataset):
    """One sample per line of the list file; values depend only on (list file name, index, epoch)."""

    def __init__(self, spec: DataSpec, size: int) -> None:
        self.n = len([line for line in Path(spec.list_file).read_text().splitlines() if line.strip()])
        self.key = zlib.crc32(Path(spec.list_file).name.encode())
        self.name = Path(spec.list_file).name
        self.warp, self.size, self.epoch = spec.warp, size, 0

    def __len__(self) -> int:
        return self.n

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def describe(self, index: int) -> str:
        return f"{self.name}:{index + 1}"

    def __getitem__(self, index: int) -> dict[str, Any]:
        g = torch.Generator().manual_seed(self.key * 1000 + index)
        x = torch.rand(3, self.size, self.size, generator=g)
        if index == NAN_INPUT_INDEX:
            x[0, 0, 0] = float("nan")
        # epoch-dependent, like augmentation
        noise = 0.01 * self.epoch * torch.rand(1, self.size, self.size, generator=g)
        return {"x": x, "y": x.mean(0, keepdim=True) ** 2 + noise, "index": index, "warp": self.warp}


class TinyTask:
    name = "tiny-test"

    def __init__(self, config: TrainConfig) -> None:
        self.lr, self.size = config.lr, config.height
        self.calls = 0

    def build_model(self) -> nn.Module:
        return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.Tanh(), nn.Conv2d(4, 1, 3, padding=1))

    def loss(self, model: nn.Module, batch: Mapping[str, Any]) -> LossOutput:
        self.calls += 1
        if model.training:
            SEEN_WARPS.append(set(batch["warp"]))
        for sig in SIGNALS_AT_CALL.get(self.calls, []):
            os.kill(os.getpid(), sig)
        if NAN_WEIGHT_AT_CALL is not None and self.calls == NAN_WEIGHT_AT_CALL:
            with torch.no_grad():
                next(model.parameters())[0, 0, 0, 0] = float("nan")
        pred = model(batch["x"])
        if not torch.isfinite(pred).all():  # as the stereo loss does before its warp
            raise NonFiniteError("non-finite values in the prediction")
        mse = torch.mean((pred - batch["y"]) ** 2)
        l1 = torch.mean(torch.abs(pred - batch["y"]))
        total = mse + 0.1 * l1
        if NAN_AT_CALL is not None and self.calls == NAN_AT_CALL:
            total = total * float("nan")
        return LossOutput(total, {"mse": mse, "l1": l1})

    def build_dataset(self, spec: DataSpec, training: bool) -> Dataset:
        return TinyData(spec, self.size)

    def make_optimizer(self, model: nn.Module) -> torch.optim.Optimizer:
        return torch.optim.Adam(model.parameters(), lr=self.lr)

    def make_scheduler(self, optimizer: torch.optim.Optimizer, steps_per_epoch: int) -> Any:
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=steps_per_epoch, gamma=0.5)


if "tiny-test" not in TASKS:
    register_task("tiny-test", TaskDefaults(arch="tiny", lr=1e-2, batch_size=4, epochs=2))(TinyTask)


def write_list(path: Path, n: int) -> str:
    """A list file of n dummy lines (TinyData only counts them)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"l{i}.png r{i}.png\n" for i in range(n)))
    return str(path)


def tiny_config(tmp: Path, **overrides: Any) -> TrainConfig:
    """A tiny-test run on one 12-sample list, 8x8 inputs, no progress bar."""
    base = dict(task="tiny-test", data=(DataSpec(write_list(tmp / "a.txt", 12)),), height=8, width=8,
                out=str(tmp / "run"), progress=False, seed=3, threads=1)
    base.update(overrides)
    return TrainConfig(**base)
