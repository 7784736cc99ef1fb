"""`panoconv train`: train or continue training a depth network (thin shell over `panoconv.training.train`).

Several data sets in one run: repeat `--data`; `--data-root`, `--warp` and `--fov` are given once
(for all) or once per `--data`, in the same order. Each batch comes from a single data set.

Ctrl-C or SIGTERM: the current step finishes, a checkpoint is written, and the command exits 130 with
a line saying how to continue (`--resume`); a second Ctrl-C aborts at once.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from panoconv.commands._options import arch_option, precision_option
from panoconv.errors import PanoconvError
from panoconv.geometry.constants import WARP_MODES

log = logging.getLogger(__name__)


def _per_data(name: str, values: tuple, count: int) -> list:
    """Broadcast a once-given option to every data set, or check it was given once per data set."""
    if not values:
        return [None] * count
    if len(values) == 1:
        return list(values) * count
    if len(values) != count:
        raise PanoconvError(f"--{name} given {len(values)} times for {count} --data lists; give it once or "
                            "once per --data")
    return list(values)


def _warp_from_meta(root: Path) -> str | None:
    """The warp a `panoconv synth` folder was rendered for (its meta.json `kind`), if any."""
    from panoconv.data.stereo import KIND_TO_WARP

    meta = root / "meta.json"
    if not meta.is_file():
        return None
    try:
        return KIND_TO_WARP.get(json.loads(meta.read_text()).get("kind"))
    except (OSError, ValueError):
        return None


#: The list a data-set folder given as --data / --val-data stands for, by task (first one present).
_FOLDER_LISTS = {("stereo", True): ("train.txt",), ("stereo", False): ("val.txt",),
                 ("supervised", True): ("3d60_train.txt", "train.txt"),
                 ("supervised", False): ("3d60_val.txt", "val.txt")}


def data_list(path: Path, task: str, training: bool) -> Path:
    """--data LIST (a file), or a data-set folder such as `panoconv synth`'s: its train / val list."""
    option = "--data" if training else "--val-data"
    if path.is_file():
        return path
    if not path.exists():
        raise PanoconvError(f"{path}: no such file list ({option} takes a list file or a data-set folder)")
    names = _FOLDER_LISTS.get((task, training), ("train.txt",) if training else ("val.txt",))
    for name in names:
        if (path / name).is_file():
            log.info("%s %s: using %s", option, path, path / name)
            return path / name
    raise PanoconvError(f"{path}: is a folder without {' or '.join(names)}; give the list file, e.g. "
                        f"{option} {path / names[0]}")


def build_specs(task: str, data: tuple[Path, ...], roots: tuple[Path, ...], warps: tuple[str, ...],
                fovs: tuple[float, ...], val: tuple[Path, ...]) -> tuple[list, list]:
    """`DataSpec`s of the training and validation lists from the repeated options."""
    from panoconv.training.config import DataSpec

    data = tuple(data_list(Path(d), task, True) for d in data)
    val = tuple(data_list(Path(v), task, False) for v in val)
    n = len(data)
    root_list = _per_data("data-root", roots, n)
    warp_list = _per_data("warp", warps, n)
    fov_list = _per_data("fov", fovs, n)
    specs = []
    for lst, root, warp, fov in zip(data, root_list, warp_list, fov_list):
        root_dir = Path(root) if root is not None else Path(lst).parent
        if warp is None:
            warp = _warp_from_meta(root_dir)
            if warp is None and task == "stereo":
                raise PanoconvError(f"{lst}: give --warp rectilinear|equirectangular|panorama (no synth "
                                    "meta.json to take it from)")
        specs.append(DataSpec(str(lst), None if root is None else str(root), warp or "rectilinear", fov))
    if val and len(val) not in (1, n):
        raise PanoconvError(f"--val-data given {len(val)} times for {n} --data lists; give it once or once "
                            "per --data")
    # validation list i shares root / warp / fov with training list i (or with the first one)
    twins = [specs[i] if len(val) == n else specs[0] for i in range(len(val))]
    val_specs = [DataSpec(str(v), t.root, t.warp, t.fov_deg) for v, t in zip(val, twins)]
    return specs, val_specs


def _check_size(config) -> None:
    """--height/--width against the architecture, when it is known without reading weights."""
    from panoconv.arch import DEFAULT_ARCH
    from panoconv.training.sizes import check_train_size

    arch = config.arch or (DEFAULT_ARCH if config.task == "stereo" and not config.init else None)
    if arch is not None:
        check_train_size(arch, config.height, config.width)


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
@click.option("--checkpoint-minutes", type=float, default=30.0, show_default=True,
              help="Checkpoint this often (0: off); also at every epoch end, at the end and on Ctrl-C.")
@click.option("--checkpoint-every", type=int, default=None, help="Also checkpoint every N steps.")
@click.option("--keep-checkpoints", type=int, default=2, show_default=True,
              help="Newest checkpoints kept (older ones are the fallback if the newest is damaged).")
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
              help="3D60 (supervised): only rows of these source data sets, comma-separated.")
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
@click.option("--resume", is_flag=True, help="Continue the run in --out from its latest checkpoint.")
@click.option("--force", is_flag=True, help="Replace the run in --out.")
def command(data, roots, warps, fovs, val, task, arch, init, out, epochs, batch_size, lr, height, width, seed,
            num_workers, threads, device, precision, checkpoint_minutes, checkpoint_every, keep_checkpoints,
            log_every, val_every, max_steps, no_augment, skip_bad, datasets, upstream_loss, freeze,
            lr_schedule, lr_warmup, lr_schedule_steps, disp_init, resume, force) -> None:
    """Train with the task's published recipe; checkpoints, TensorBoard logs, model.safetensors in --out."""
    from panoconv.data.threed60_paths import parse_datasets
    from panoconv.io.paths import weights_file
    from panoconv.training.config import TrainConfig  # torch-free: arguments are checked before torch loads

    specs, val_specs = build_specs(task, data, roots, warps, fovs, val)
    if init is not None:
        init = weights_file(init, "--init")
    config = TrainConfig(data=tuple(specs), val_data=tuple(val_specs), task=task, arch=arch,
                         init=None if init is None else str(init), epochs=epochs, batch_size=batch_size,
                         lr=lr,
                         height=height, width=width, seed=seed, augment=not no_augment, skip_bad=skip_bad,
                         datasets=parse_datasets(datasets), upstream_loss=upstream_loss, freeze=tuple(freeze),
                         lr_schedule=lr_schedule, lr_warmup=lr_warmup, lr_schedule_steps=lr_schedule_steps,
                         disp_init=disp_init,
                         out=str(out), max_steps=max_steps, checkpoint_every=checkpoint_every,
                         checkpoint_minutes=checkpoint_minutes or None, keep_checkpoints=keep_checkpoints,
                         log_every=log_every, val_every=val_every, num_workers=num_workers, threads=threads,
                         device=device, precision=precision, resume=resume, force=force)
    _check_size(config)
    from panoconv.training import train
    from panoconv.training.interrupt import EXIT_INTERRUPTED, TrainingInterrupted

    try:
        result = train(config)
    except TrainingInterrupted as stopped:
        click.echo(f"Interrupted: {stopped}", err=True)
        sys.exit(EXIT_INTERRUPTED)
    if result.weights is not None:
        click.echo(str(result.weights))
