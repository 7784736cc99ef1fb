"""Validation loss: the task's own loss over the validation data sets, no gradients, sample-weighted mean."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.utils.data import ConcatDataset, DataLoader

from panoconv.data.stereo import collate_skip_none
from panoconv.training.sampler import InterleavedBatchSampler


@torch.no_grad()
def validate(task: Any, model: nn.Module, datasets: list, batch_size: int,
             num_workers: int = 0) -> dict[str, float]:
    """Mean of every loss term over all validation samples (batches never mix data sets)."""
    was_training = model.training
    model.eval()
    sampler = InterleavedBatchSampler([len(d) for d in datasets], batch_size, shuffle=False, drop_last=False)
    totals: dict[str, float] = {}
    count = 0
    try:
        # its own generator: validating never draws from the global RNG (exact resume around validation)
        for batch in DataLoader(ConcatDataset(datasets), batch_sampler=sampler, num_workers=num_workers,
                                collate_fn=collate_skip_none, generator=torch.Generator().manual_seed(0)):
            if batch is None:
                continue
            n = next(v.shape[0] for v in batch.values() if isinstance(v, torch.Tensor) and v.dim() > 0)
            for k, v in task.loss(model, batch).scalars().items():
                totals[k] = totals.get(k, 0.0) + v * n
            count += n
    finally:
        model.train(was_training)
    return {k: v / count for k, v in totals.items()} if count else {}
