"""`train(config) -> TrainResult`: the generic training loop over a `Task`, alone or under torchrun.

Setup: resolve the task's recipe defaults, check the run folder, build data / model / optimiser /
scheduler, load `--init` weights (refused if not finite) or resume the newest snapshot that verifies
(falling back past damaged ones), then lock the run folder and sweep what a killed run left. Loop
(`_loop`): one batch per step from `InterleavedBatchSampler` (each global batch from one data set,
split over ranks); DDP averages gradients; the loss terms are averaged over ranks (weighted by samples)
before the finiteness check, so every rank stops together on NaN/inf. After every step (`_boundary`):
validation (epoch ends, `val_every`), a snapshot when `SnapshotCadence` says so (by time, epoch
end, `snapshot_every`), and the stop check: a SIGINT/SIGTERM seen by any rank (all-reduced, so all
ranks stop after the same step) saves a snapshot and raises `TrainingInterrupted`. The main rank
logs, flushes the logs before each snapshot, and exports `model.safetensors` at the end.
"""

from __future__ import annotations

import logging
import math
import os
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import ConcatDataset, DataLoader

from panoconv.data.stereo import collate_skip_none
from panoconv.errors import CheckpointError, NonFiniteError, PanoconvError
from panoconv.runtime import autocast_forward, check_precision, grad_scaler, resolve_device
from panoconv.training import distributed as ddp
from panoconv.training.cadence import SnapshotCadence
from panoconv.training.config import ConfigError, TrainConfig
from panoconv.training.disp_init import apply_disp_init
from panoconv.training.export import write_weights
from panoconv.training.finite import describe_rows, nonfinite_samples
from panoconv.training.freeze import freeze
from panoconv.training.interrupt import StopRequest, TrainingInterrupted, ignore_stop_signals
from panoconv.training.monitor import Monitor
from panoconv.training.registry import create_task, resolve_config
from panoconv.training.rundir import WEIGHTS_FILE, RunLock, check_run_dir, prepare_run_dir
from panoconv.training.sampler import InterleavedBatchSampler
from panoconv.training.schedule import build_scheduler
from panoconv.training.snapshots import find_resume_snapshot, latest_snapshot
from panoconv.training.state import RunState
from panoconv.training.task import TrainableTask
from panoconv.training.validate import validate
from panoconv.weights.finite import nonfinite_tensors, summarise

log = logging.getLogger(__name__)


class TrainingDiverged(PanoconvError):
    """The loss became NaN or infinite; the run stopped and its last good snapshot was kept."""


@dataclass
class TrainResult:
    run_dir: Path
    step: int
    epoch: int
    losses: list[float] = field(default_factory=list)  # global total loss of each step run by this call
    val_losses: list[dict[str, float]] = field(default_factory=list)
    snapshot: Path | None = None  # the last snapshot this call wrote
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
    if config.device != "auto":
        resolve_device(config.device)  # `--device cuda` without CUDA: one line, before any setup
    ctx = ddp.init_distributed(config.device)
    try:
        return _train(config, ctx)
    finally:
        ddp.shutdown(ctx)


def _train(config: TrainConfig, ctx: ddp.DistContext) -> TrainResult:
    check_precision(config.precision, ctx.device)
    plan = check_run_dir(config)
    if config.init and not Path(config.init).is_file():
        raise CheckpointError(f"{config.init}: --init weights not found")
    seed_everything(config.seed)  # model init; a resume then restores the snapshot's RNG states
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
    resumed_step = None
    found = find_resume_snapshot(run) if plan.resume else None
    if found is not None:
        state.restore(found.path, found.state)
    else:
        if plan.resume:
            log.warning("%s: no snapshot yet; starting from the beginning", run)
        if config.disp_init:  # a fresh start only: a snapshot already holds the shifted head
            apply_disp_init(config.disp_init, task, state.model,
                            [task.build_dataset(spec, False) for spec in config.data],
                            config.batch_size // ctx.world_size)
    if plan.resume:
        resumed_step = state.step
    with RunLock(run, enabled=ctx.is_main):
        ddp.barrier(ctx)
        if ctx.is_main:
            prepare_run_dir(config, plan, resumed_step)
        ddp.barrier(ctx)
        return _run(config, ctx, task, state, train_sets, val_sets, sampler, resumed_step)


def _run(config: TrainConfig, ctx: ddp.DistContext, task: TrainableTask, state: RunState, train_sets: list,
         val_sets: list, sampler: InterleavedBatchSampler, resumed_step: int | None) -> TrainResult:
    run = Path(config.out)
    state.model = ddp.wrap_model(state.model, ctx)
    log.info("%s: task %s, arch %s, %d batches/epoch x %d epochs, global batch %d over %d process(es), "
             "threads %d (OMP_NUM_THREADS=%s), device %s", run, config.task, config.arch, len(sampler),
             config.epochs, config.batch_size, ctx.world_size, torch.get_num_threads(),
             os.environ.get("OMP_NUM_THREADS", "unset"), ctx.device)
    total = len(sampler) * config.epochs
    stop_at = min(total, config.max_steps) if config.max_steps else total
    result = TrainResult(run, state.step, state.epoch, threads=torch.get_num_threads())
    start = time.perf_counter()
    purge = None if resumed_step is None else resumed_step + 1
    loop = _Loop(state, task, train_sets, val_sets, sampler, ctx, result,
                 SnapshotCadence(config.snapshot_every, config.snapshot_minutes))
    with StopRequest() as stop, Monitor(run, ctx.is_main, stop_at, state.position, config.progress,
                                        config.log_every, purge_step=purge) as monitor:
        loop.run(stop_at, monitor, stop)
        if state.position >= stop_at and ctx.is_main:
            loop.save(monitor, "end of training")
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


def _build_state(config: TrainConfig, task: TrainableTask, steps_per_epoch: int,
                 ctx: ddp.DistContext) -> RunState:
    model = task.build_model()
    if config.init:
        _load_init(model, Path(config.init))
    freeze(model, config.freeze)
    # channels_last sends PyTorch's CPU convolutions through oneDNN's blocked kernels (~12-20% faster
    # training steps here, see benchmarks/bench_train_step.py); weights are saved contiguous as usual.
    model.to(ctx.device, memory_format=torch.channels_last)
    optimizer = task.make_optimizer(model)
    scheduler = build_scheduler(config, task, optimizer, steps_per_epoch)
    return RunState(config, model, optimizer, scheduler, steps_per_epoch, world_size=ctx.world_size,
                    scaler=grad_scaler(config.precision, ctx.device))  # fp16 on CUDA only


def _load_init(model: torch.nn.Module, path: Path) -> None:
    """Start from converted or exported weights (strict: every key must match, every value finite)."""
    from panoconv.weights import load_weights

    weights, _ = load_weights(path)
    bad = nonfinite_tensors(weights.items())
    if bad:
        raise CheckpointError(f"{path}: --init weights hold NaN or inf values: {summarise(bad)}")
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


def _loader_generator(seed: int, epoch: int) -> torch.Generator:
    """The DataLoader's own generator (worker seeds), so creating a loader never draws from torch's global
    RNG: a run resumed mid-epoch then leaves the global RNG exactly where the uninterrupted run has it."""
    return torch.Generator().manual_seed(seed * 100_003 + epoch)


class _Loop:
    """The training loop and what happens at every step boundary (see the module docstring)."""

    def __init__(self, state: RunState, task: TrainableTask, train_sets: list, val_sets: list,
                 sampler: InterleavedBatchSampler, ctx: ddp.DistContext, result: TrainResult,
                 cadence: SnapshotCadence) -> None:
        self.state, self.task, self.ctx, self.result, self.cadence = state, task, ctx, result, cadence
        self.train_sets, self.val_sets, self.sampler = train_sets, val_sets, sampler
        self.config = state.config
        self.saved_at = (state.step, state.position)  # a resumed run starts at its snapshot
        self.scaler = state.scaler  # fp16 on CUDA only (saved with the state)

    def run(self, stop_at: int, monitor: Monitor, stop: StopRequest) -> None:
        state, config, ctx = self.state, self.config, self.ctx
        concat = ConcatDataset(self.train_sets)
        can_sample = ctx.is_main and hasattr(self.task, "sample_images")
        while state.position < stop_at:
            epoch = state.epoch
            for ds in self.train_sets:
                if hasattr(ds, "set_epoch"):
                    ds.set_epoch(epoch)
            self.sampler.set_epoch(epoch, state.position - epoch * state.steps_per_epoch)
            loader = DataLoader(concat, batch_sampler=self.sampler, num_workers=config.num_workers,
                                collate_fn=collate_skip_none, pin_memory=ctx.device.type == "cuda",
                                worker_init_fn=ignore_stop_signals,
                                generator=_loader_generator(config.seed, epoch))
            tick = time.perf_counter()
            for batch in loader:
                state.position += 1
                missing, bad_rows = ddp.sum_across([float(batch is None), float(self._bad_batch(batch))], ctx)
                if bad_rows:
                    self._refuse_batch(batch)
                stepped = not missing
                if missing:
                    log.warning("batch %d: no readable sample on some rank; step skipped", state.position)
                else:
                    scalars, images, lr = self._step(batch)
                    now = time.perf_counter()
                    ips = images / max(now - tick, 1e-9)
                    tick = now
                    self.result.losses.append(scalars["total"])
                    self.result.images_per_s = ips
                    monitor.step(state.step, scalars, lr, ips, epoch)
                    if can_sample and (state.step % config.image_every == 0 or state.step == 1):
                        monitor.images(state.step, self.task.sample_images(ddp.unwrap(state.model), batch))
                self._boundary(monitor, stop, stepped)
                if state.position >= stop_at:
                    break

    # --- one step ------------------------------------------------------------------------------
    def _step(self, batch: Mapping[str, Any]) -> tuple[dict[str, float], int, float]:
        """One update; returns the rank-averaged loss terms, the global number of images and the lr used."""
        state, ctx = self.state, self.ctx
        try:
            with autocast_forward(ddp.unwrap(state.model), self.config.precision, ctx.device):  # fp32: no-op
                out, problem = self.task.loss(state.model, batch), None
        except NonFiniteError as err:  # a NaN disparity, caught before the warp
            out, problem = None, str(err)
        if ddp.any_across(problem is not None, ctx):
            raise TrainingDiverged(self._diagnose(problem or "non-finite values on another rank"))
        local = out.scalars()
        names = sorted(local)
        n = _batch_len(batch)
        sums = ddp.sum_across([float(n)] + [local[k] * n for k in names], ctx)
        images = int(sums[0])
        scalars = {k: v / sums[0] for k, v in zip(names, sums[1:])}
        if not all(math.isfinite(v) for v in scalars.values()):
            terms = ", ".join(f"{k}={v:.4g}" for k, v in scalars.items())
            raise TrainingDiverged(f"non-finite loss at step {state.step + 1} (epoch {state.epoch}): "
                                   f"{terms}; training stopped, last good snapshot: {self._last_good()}")
        state.optimizer.zero_grad(set_to_none=True)
        lr = state.lr  # the lr this update uses (the scheduler moves it next)
        if self.scaler is None:
            out.total.backward()
            state.optimizer.step()
        else:  # fp16: scaled loss; steps with inf/NaN gradients are skipped and the scale lowered
            self.scaler.scale(out.total).backward()
            self.scaler.step(state.optimizer)
            self.scaler.update()
        state.scheduler.step()
        state.step += 1
        return scalars, images, lr

    def _bad_batch(self, batch: Mapping[str, Any] | None) -> bool:
        return batch is not None and bool(nonfinite_samples(batch)[0])

    def _refuse_batch(self, batch: Mapping[str, Any] | None) -> None:
        """Stop on NaN/inf input (every rank; the rank holding it names the data rows)."""
        state = self.state
        where = "another rank's part of the batch"
        if batch is not None:
            fields, rows = nonfinite_samples(batch)
            if fields:
                batch_no = (state.position - 1) % state.steps_per_epoch
                ds, indices = self.sampler.global_batches()[batch_no]
                lo = self.ctx.rank * self.sampler.local_batch if self.ctx.distributed else 0
                where = f"{', '.join(fields)} of {describe_rows(self.train_sets, ds, indices[lo:], rows)}"
        raise TrainingDiverged(f"NaN or inf in the training input at step {state.step + 1}: {where}; "
                               f"training stopped, last good snapshot: {self._last_good()}")

    def _diagnose(self, problem: str) -> str:
        """Message for a non-finite disparity: which weights are no longer finite, if any."""
        bad = nonfinite_tensors(ddp.unwrap(self.state.model).named_parameters())
        cause = (f"non-finite weights: {summarise(bad)}" if bad else
                 "weights and inputs are finite, so the forward pass overflowed")
        return (f"{problem} at step {self.state.step + 1} (epoch {self.state.epoch}); {cause}; training "
                f"stopped, last good snapshot: {self._last_good()}")

    def _last_good(self) -> str:
        found = latest_snapshot(Path(self.config.out))
        return str(found) if found else "none yet"

    # --- step boundary ---------------------------------------------------------------------------
    def _boundary(self, monitor: Monitor, stop: StopRequest, stepped: bool) -> None:
        """Validation, snapshot and stop decisions after batch `state.position`."""
        state, config, ctx = self.state, self.config, self.ctx
        epoch_end = state.position % state.steps_per_epoch == 0
        every = bool(stepped and config.val_every and state.step % config.val_every == 0)
        if self.val_sets and (epoch_end or every):
            self._validate(monitor, state.epoch - 1 if epoch_end else state.epoch)
        stopping = ddp.any_across(stop.requested, ctx)
        if ctx.is_main:
            reason = "interrupted" if stopping else self.cadence.due(state.step, epoch_end)
            if reason is not None:
                self.save(monitor, reason)
        if stopping:
            ddp.barrier(ctx)  # the main rank has written the snapshot
            found = self.result.snapshot or latest_snapshot(Path(config.out))
            saved = f"snapshot {found}" if found else "no snapshot (no step was trained)"
            by = stop.signal_name or "a signal on another rank"
            raise TrainingInterrupted(f"interrupted by {by} after step {state.step} (epoch {state.epoch}): "
                                      f"{saved}; continue with --resume", state.step, found, stop.signal_name)

    def save(self, monitor: Monitor, reason: str) -> None:
        """Snapshot now (main rank) unless this exact position is already saved; logs are flushed first."""
        state = self.state
        if (state.step, state.position) == self.saved_at or state.step == 0:
            return
        monitor.flush()
        self.result.snapshot = state.save(Path(self.config.out))
        self.saved_at = (state.step, state.position)
        self.cadence.saved()
        log.debug("snapshot reason: %s", reason)

    def _validate(self, monitor: Monitor, epoch: int) -> None:
        ctx = self.ctx
        if ctx.is_main:
            local_batch = self.config.batch_size // ctx.world_size
            scalars = validate(self.task, ddp.unwrap(self.state.model), self.val_sets, local_batch,
                               self.config.num_workers)
            self.result.val_losses.append(scalars)
            monitor.validation(self.state.step, epoch, scalars)
        ddp.barrier(ctx)


def _batch_len(batch: Mapping[str, Any]) -> int:
    """Samples in a collated batch (first dimension of its first tensor)."""
    for value in batch.values():
        if isinstance(value, torch.Tensor) and value.dim() > 0:
            return int(value.shape[0])
    raise PanoconvError("a batch holds no tensor; cannot count its samples")
