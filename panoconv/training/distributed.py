"""DDP plumbing: the same `train()` runs alone or under `torchrun --nproc_per_node=N`.

`torchrun` sets RANK / WORLD_SIZE / LOCAL_RANK / MASTER_ADDR / MASTER_PORT; we then init the
process group from env:// with gloo on CPU and nccl on CUDA. Without those variables everything is a
no-op single process, so no code path needs `if distributed` beyond what lives here.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DistContext:
    rank: int
    world_size: int
    local_rank: int
    device: torch.device
    initialized_here: bool = False

    @property
    def is_main(self) -> bool:
        """Only the main rank writes snapshots, logs and exports."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def pick_device(name: str, local_rank: int) -> torch.device:
    """"auto" -> cuda:LOCAL_RANK if CUDA is available, else cpu."""
    if name == "auto":
        return torch.device(f"cuda:{local_rank}") if torch.cuda.is_available() else torch.device("cpu")
    device = torch.device(name)
    if device.type == "cuda" and device.index is None:
        device = torch.device(f"cuda:{local_rank}")
    return device


def init_distributed(device: str = "auto") -> DistContext:
    """Join the torchrun process group if WORLD_SIZE > 1 (env://), else a single-process context."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    dev = pick_device(device, local_rank)
    if world <= 1:
        return DistContext(0, 1, 0, dev)
    if dev.type == "cuda":
        torch.cuda.set_device(dev)
    created = False
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if dev.type == "cuda" else "gloo", init_method="env://")
        created = True
    log.info("rank %d/%d on %s (backend %s)", rank, world, dev, dist.get_backend())
    return DistContext(rank, world, local_rank, dev, created)


def shutdown(ctx: DistContext) -> None:
    if ctx.initialized_here and dist.is_initialized():
        dist.destroy_process_group()


def wrap_model(model: nn.Module, ctx: DistContext) -> nn.Module:
    """DistributedDataParallel when running on several processes (gradients averaged over ranks)."""
    if not ctx.distributed:
        return model
    device_ids = [ctx.device.index] if ctx.device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(model, device_ids=device_ids)


def unwrap(model: nn.Module) -> nn.Module:
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


def sum_across(values: Sequence[float], ctx: DistContext) -> list[float]:
    """Element-wise sum of a float vector over all ranks (float64; identity without DDP)."""
    t = torch.tensor(list(values), dtype=torch.float64)
    if ctx.distributed:
        if ctx.device.type == "cuda":
            t = t.to(ctx.device)
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t.cpu().tolist()


def any_across(flag: bool, ctx: DistContext) -> bool:
    """True if `flag` is true on any rank (so all ranks take the same branch)."""
    return sum_across([1.0 if flag else 0.0], ctx)[0] > 0


def barrier(ctx: DistContext) -> None:
    if ctx.distributed:
        dist.barrier()
