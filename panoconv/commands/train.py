"""`panoconv train`: train or continue training a depth network (thin shell over `panoconv.training.train`).

Several data sets in one run: repeat `--data`; `--data-root`, `--warp` and `--fov` are given once
(for all) or once per `--data`, in the same order. Each batch comes from a single data set.

Ctrl-C or SIGTERM: the current step finishes, a snapshot is written, and the command exits 130 with
a line saying how to continue (`--resume`); a second Ctrl-C aborts at once.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from panoconv.commands._options import arch_option, precision_option
from panoconv.geometry.constants import WARP_MODES

log = logging.getLogger(__name__)


@click.command("train")
@click.option("--data", "data", multiple=True, required=True, type=click.Path(path_type=Path),
              help="Training file list (repeat for several data sets).")
@click.option("--data-root", "roots", multiple=True, type=click.Path(path_type=Path),
              help="Folder the list's paths are relative to [default: the list's folder].")
@click.option("--warp", "warps", multiple=True,
              type=click.Choice(list(WARP_MODES)),
              help="Warp of the data set [default: from a synth meta.json].")
@click.option("--fov", "fovs", multiple=True, type=float, help="Horizontal field of view in degrees.")
@click.option("--val-data", "val", multiple=True, type=click.Path(path_type=Path),
              help="Validation list (loss every epoch); once, or once per --data.")
@click.option("--task", default="stereo", show_default=True,
              help="stereo (monodepth) or supervised (OmniDepth).")
@arch_option("Architecture [default: the --init weights', else the task's].")
@click.option("--init", type=click.Path(path_type=Path), default=None, help="Start from these weights.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("runs/train"), show_default=True)
@click.option("--epochs", type=int, default=None, help="[default: the task's recipe: 50 stereo]")
@click.option("--batch-size", type=int, default=None,
              help="Global batch over all processes [default: 8 stereo].")
@click.option("--lr", type=float, default=None, help="[default: 1e-4 stereo]")
@click.option("--height", type=int, default=256, show_default=True,
              help="Training height: every sample is resized to --height x --width (images by area, depth "
              "and masks by nearest); a multiple of the architecture's size multiple.")
@click.option("--width", type=int, default=512, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--num-workers", type=int, default=0, show_default=True)
@click.option("--threads", type=int, default=None, help="torch intra-op threads per process.")
@click.option("--device", default="auto", show_default=True)
@precision_option("Compute precision: fp32, bf16 (bfloat16 autocast) or fp16 (CUDA only, with a GradScaler).")
# "snapshot" is a training run's resumable state; the --*checkpoint* spellings are the names before the rename
@click.option("--snapshot-minutes", "--checkpoint-minutes", "snapshot_minutes", type=float, default=30.0,
              show_default=True,
              help="Snapshot this often (0: off); also at every epoch end, at the end and on Ctrl-C.")
@click.option("--snapshot-every", "--checkpoint-every", "snapshot_every", type=int, default=None,
              help="Also snapshot every N steps.")
@click.option("--keep-snapshots", "--keep-checkpoints", "keep_snapshots", type=int, default=2,
              show_default=True,
              help="Newest snapshots kept (older ones are the fallback if the newest is damaged).")
@click.option("--log-every", type=int, default=10, show_default=True,
              help="TensorBoard scalars every N steps (metrics.jsonl gets every step).")
@click.option("--val-every", type=int, default=None,
              help="Validate every N steps as well as at every epoch end (needs --val-data).")
@click.option("--max-steps", type=int, default=None, help="Stop after this many steps (schedule unchanged).")
@click.option("--no-augment", is_flag=True, help="No flip / colour augmentation.")
@click.option("--skip-bad", is_flag=True,
              help="Skip bad list rows and unreadable images (each reported) instead of stopping; skipped "
              "3D60 rows are listed in --out/skipped_rows_<split>.txt.")
@click.option("--datasets", default=None, metavar="NAMES",
              help="3D60 (supervised): only rows of these member data sets, comma-separated.")
@click.option("--upstream-loss", is_flag=True,
              help="The loss exactly as upstream computes it, to compare with an upstream-trained run: "
              "supervised = OmniDepth-PyTorch's (unmasked L2 on masked depth, zero-padded gradients); "
              "stereo equirectangular = the TF sampler's GPU gather across the batch (README).")
@click.option("--freeze", "freeze", multiple=True, metavar="PART",
              help="Keep these parameters exactly as loaded: encoder, decoder, or a glob over parameter "
              "names ('decoder.disp*'); repeatable.")
@click.option("--lr-schedule", type=click.Choice(["recipe", "constant", "halving", "cosine"]), default=None,
              help="lr shape over the schedule [default: the task's recipe].")
@click.option("--lr-warmup", type=int, default=0, show_default=True, metavar="STEPS",
              help="Linear lr warm-up over the first STEPS updates.")
@click.option("--lr-schedule-steps", type=int, default=None, metavar="STEPS",
              help="Where the lr schedule ends [default: epochs x batches per epoch].")
@click.option("--disp-init", default=None, metavar="scan|K",
              help="Shift the disparity head so the start predicts about K x its disparities; 'scan' picks K "
              "by the photometric loss on the first training samples (for a new camera: README).")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its latest snapshot.")
@click.option("--force", is_flag=True, help="Replace the run in --out.")
def command(data, roots, warps, fovs, val, task, arch, init, out, epochs, batch_size, lr, height, width, seed,
            num_workers, threads, device, precision, snapshot_minutes, snapshot_every, keep_snapshots,
            log_every, val_every, max_steps, no_augment, skip_bad, datasets, upstream_loss, freeze,
            lr_schedule, lr_warmup, lr_schedule_steps, disp_init, resume, force) -> None:
    """Train with the task's published recipe; snapshots, TensorBoard logs, model.safetensors in --out."""
    from panoconv.data.threed60_paths import parse_datasets
    from panoconv.io.paths import weights_file
    from panoconv.training.config import TrainConfig  # torch-free: arguments are checked before torch loads
    from panoconv.training.data_specs import DataOptions, build_specs, check_size

    specs, val_specs = build_specs(task, DataOptions(data=data, roots=roots, warps=warps, fovs=fovs, val=val))
    if init is not None:
        init = weights_file(init, "--init")
    config = TrainConfig(data=specs, val_data=val_specs, task=task, arch=arch,
                         init=None if init is None else str(init), epochs=epochs, batch_size=batch_size,
                         lr=lr,
                         height=height, width=width, seed=seed, augment=not no_augment, skip_bad=skip_bad,
                         datasets=parse_datasets(datasets), upstream_loss=upstream_loss, freeze=tuple(freeze),
                         lr_schedule=lr_schedule, lr_warmup=lr_warmup, lr_schedule_steps=lr_schedule_steps,
                         disp_init=disp_init,
                         out=str(out), max_steps=max_steps, snapshot_every=snapshot_every,
                         snapshot_minutes=snapshot_minutes or None, keep_snapshots=keep_snapshots,
                         log_every=log_every, val_every=val_every, num_workers=num_workers, threads=threads,
                         device=device, precision=precision, resume=resume, force=force)
    check_size(config)
    from panoconv.training import train
    from panoconv.training.interrupt import EXIT_INTERRUPTED, TrainingInterrupted

    try:
        result = train(config)
    except TrainingInterrupted as stopped:
        click.echo(f"Interrupted: {stopped}", err=True)
        sys.exit(EXIT_INTERRUPTED)
    if result.weights is not None:
        click.echo(str(result.weights))
