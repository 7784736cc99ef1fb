"""`train(config) -> TrainResult`: the generic training loop over a `Task`, alone or under torchrun.

Setup (`_setup`): resolve the task's recipe defaults, check the run folder, build data / model /
optimiser / scheduler, load `--init` weights or resume the latest checkpoint. Loop (`_loop`): one
batch per step from `InterleavedBatchSampler` (each global batch from one data set, split over
ranks); DDP averages gradients; the loss terms are averaged over ranks (weighted by samples) before
the finiteness check, so every rank stops together on NaN/inf. The main rank logs, checkpoints every
`checkpoint_every` steps and at the end, and exports `model.safetensors`.
"""

from __future__ import annotations

import logging
import math
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch
from torch.utils.data import ConcatDataset, DataLoader

from panoconv.data.stereo import collate_skip_none
from panoconv.errors import CheckpointError, PanoconvError
from panoconv.training import distributed as ddp
from panoconv.training.checkpoint import latest_checkpoint
from panoconv.training.config import ConfigError, TrainConfig
from panoconv.training.export import write_weights
from panoconv.training.monitor import Monitor
from panoconv.training.registry import create_task, resolve_config
from panoconv.training.rundir import WEIGHTS_FILE, check_run_dir, prepare_run_dir
from panoconv.training.sampler import InterleavedBatchSampler
from panoconv.training.state import RunState
from panoconv.training.validate import validate

log = logging.getLogger(__name__)


class TrainingDiverged(PanoconvError):
    """The loss became NaN or infinite; the run stopped and its last good checkpoint was kept."""


@dataclass
class TrainResult:
    run_dir: Path
    step: int
    epoch: int
    losses: list[float] = field(default_factory=list)  # global total loss of each step run by this call
    val_losses: list[dict[str, float]] = field(default_factory=list)
    checkpoint: Path | None = None
    weights: Path | None = None
    seconds: float = 0.0
    images_per_s: float = 0.0
    threads: int = 0


def train(config: TrainConfig) -> TrainResult:
    """Run (or resume) the training `config` describes; see the module docstring."""
    config = resolve_config(config)
    if config.threads is not None:
        torch.set_num_threads(config.threads)
    config = config.replace(threads=torch.get_num_threads())
    if not config.data:
        raise ConfigError("no training data: give at least one --data LIST")
    ctx = ddp.init_distributed(config.device)
    try:
        return _train(config, ctx)
    finally:
        ddp.shutdown(ctx)


def _train(config: TrainConfig, ctx: ddp.DistContext) -> TrainResult:
    saved = check_run_dir(config)
    if config.init and not Path(config.init).is_file():
        raise CheckpointError(f"{config.init}: --init weights not found")
    seed_everything(config.seed)  # model init; a resume then restores the checkpoint's RNG states
    task = create_task(config)
    train_sets = [task.build_dataset(spec, True) for spec in config.data]
    val_sets = [task.build_dataset(spec, False) for spec in config.val_data]
    sampler = InterleavedBatchSampler([len(d) for d in train_sets], config.batch_size, ctx.rank,
                                      ctx.world_size, config.seed)
    if len(sampler) == 0:
        sizes = ", ".join(str(len(d)) for d in train_sets)
        raise ConfigError(f"no full batch of --batch-size {config.batch_size} in the training data ({sizes} "
                          "samples); lower --batch-size")
    state = _build_state(config, task, len(sampler), ctx)
    run = Path(config.out)
    if config.resume and saved is not None:
        found = latest_checkpoint(run)
        if found is not None:
            state.restore(found)
        else:
            log.warning("%s: no checkpoint yet; starting from the beginning", run)
    ddp.barrier(ctx)
    if ctx.is_main:
        prepare_run_dir(config)
    ddp.barrier(ctx)
    state.model = ddp.wrap_model(state.model, ctx)
    log.info("%s: task %s, arch %s, %d batches/epoch x %d epochs, global batch %d over %d process(es), "
             "threads %d (OMP_NUM_THREADS=%s), device %s", run, config.task, config.arch, len(sampler),
             config.epochs, config.batch_size, ctx.world_size, torch.get_num_threads(),
             os.environ.get("OMP_NUM_THREADS", "unset"), ctx.device)
    total = len(sampler) * config.epochs
    stop_at = min(total, config.max_steps) if config.max_steps else total
    result = TrainResult(run, state.step, state.epoch, threads=torch.get_num_threads())
    start = time.perf_counter()
    with Monitor(run, ctx.is_main, stop_at, state.position, config.progress, config.log_every) as monitor:
        _loop(state, task, train_sets, val_sets, sampler, stop_at, ctx, monitor, result)
        finished = state.position >= stop_at
        if ctx.is_main and finished:
            if state.step % config.checkpoint_every or result.checkpoint is None:
                result.checkpoint = state.save(run)
            result.weights = write_weights(ddp.unwrap(state.model).state_dict(), config, state.step,
                                           run / WEIGHTS_FILE)
            log.info("wrote %s", result.weights)
    ddp.barrier(ctx)
    result.seconds = time.perf_counter() - start
    result.step, result.epoch = state.step, state.epoch
    return result


def seed_everything(seed: int) -> None:
    """Seed torch (CPU and CUDA), numpy and python so a run's model initialisation depends on `seed` only."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _build_state(config: TrainConfig, task: Any, steps_per_epoch: int, ctx: ddp.DistContext) -> RunState:
    model = task.build_model()
    if config.init:
        _load_init(model, Path(config.init))
    # channels_last sends PyTorch's CPU convolutions through oneDNN's blocked kernels (~12-20% faster
    # training steps here, see benchmarks/bench_train_step.py); weights are saved contiguous as usual.
    model.to(ctx.device, memory_format=torch.channels_last)
    optimizer = task.make_optimizer(model)
    scheduler = task.make_scheduler(optimizer, steps_per_epoch)
    return RunState(config, model, optimizer, scheduler, steps_per_epoch, world_size=ctx.world_size)


def _load_init(model: torch.nn.Module, path: Path) -> None:
    """Start from converted or exported weights (strict: every key must match)."""
    from panoconv.weights import load_weights

    weights, _ = load_weights(path)
    arch = getattr(model, "arch_name", None)
    if arch is not None:  # a card's model: third-party namings renamed; a mismatch is one line
        from panoconv.weights.loading import resolve_weights

        weights = resolve_weights(path, weights, {}, arch).state
    try:
        model.load_state_dict(weights, strict=True)
    except RuntimeError as err:
        detail = " ".join(line.strip() for line in str(err).splitlines()[:2])
        raise CheckpointError(f"{path}: --init weights do not fit the model: {detail}") from None
    log.info("initialised from %s", path)


def _loop(state: RunState, task: Any, train_sets: list, val_sets: list, sampler: InterleavedBatchSampler,
          stop_at: int, ctx: ddp.DistContext, monitor: Monitor, result: TrainResult) -> None:
    config = state.config
    concat = ConcatDataset(train_sets)
    can_sample = ctx.is_main and hasattr(task, "sample_images")
    while state.position < stop_at:
        epoch = state.epoch
        for ds in train_sets:
            if hasattr(ds, "set_epoch"):
                ds.set_epoch(epoch)
        sampler.set_epoch(epoch, state.position - epoch * state.steps_per_epoch)
        loader = DataLoader(concat, batch_sampler=sampler, num_workers=config.num_workers,
                            collate_fn=collate_skip_none, pin_memory=ctx.device.type == "cuda")
        tick = time.perf_counter()
        for batch in loader:
            state.position += 1
            if ddp.any_across(batch is None, ctx):
                log.warning("batch %d: no readable sample on some rank; step skipped", state.position)
            else:
                scalars, images, lr = _step(state, task, batch, ctx)
                now = time.perf_counter()
                ips = images / max(now - tick, 1e-9)
                tick = now
                result.losses.append(scalars["total"])
                result.images_per_s = ips
                monitor.step(state.step, scalars, lr, ips, epoch)
                if can_sample and (state.step % config.image_every == 0 or state.step == 1):
                    monitor.images(state.step, task.sample_images(ddp.unwrap(state.model), batch))
                if ctx.is_main and state.step % config.checkpoint_every == 0:
                    result.checkpoint = state.save(Path(config.out))
            if state.position >= stop_at:
                break
        if state.position % state.steps_per_epoch == 0 and val_sets:
            _validate_epoch(state, task, val_sets, ctx, monitor, result, epoch)


def _step(state: RunState, task: Any, batch: Mapping[str, Any],
          ctx: ddp.DistContext) -> tuple[dict[str, float], int, float]:
    """One update; returns the rank-averaged loss terms, the global number of images and the lr used."""
    out = task.loss(state.model, batch)
    local = out.scalars()
    names = sorted(local)
    n = _batch_len(batch)
    sums = ddp.sum_across([float(n)] + [local[k] * n for k in names], ctx)
    images = int(sums[0])
    scalars = {k: v / sums[0] for k, v in zip(names, sums[1:])}
    if not all(math.isfinite(v) for v in scalars.values()):
        found = latest_checkpoint(Path(state.config.out))
        terms = ", ".join(f"{k}={v:.4g}" for k, v in scalars.items())
        raise TrainingDiverged(f"non-finite loss at step {state.step + 1} (epoch {state.epoch}): {terms}; "
                               f"training stopped, last good checkpoint: {found or 'none yet'}")
    state.optimizer.zero_grad(set_to_none=True)
    out.total.backward()
    lr = state.lr  # the lr this update uses (the scheduler moves it next)
    state.optimizer.step()
    state.scheduler.step()
    state.step += 1
    return scalars, images, lr


def _validate_epoch(state: RunState, task: Any, val_sets: list, ctx: ddp.DistContext, monitor: Monitor,
                    result: TrainResult, epoch: int) -> None:
    if ctx.is_main:
        local_batch = state.config.batch_size // ctx.world_size
        scalars = validate(task, ddp.unwrap(state.model), val_sets, local_batch, state.config.num_workers)
        result.val_losses.append(scalars)
        monitor.validation(state.step, epoch, scalars)
    ddp.barrier(ctx)


def _batch_len(batch: Mapping[str, Any]) -> int:
    """Samples in a collated batch (first dimension of its first tensor)."""
    for value in batch.values():
        if isinstance(value, torch.Tensor) and value.dim() > 0:
            return int(value.shape[0])
    raise PanoconvError("a batch holds no tensor; cannot count its samples")
