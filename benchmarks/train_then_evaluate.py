"""Self-supervised training works: synthetic stereo data -> train -> held-out depth error, untrained vs
trained.

    # the runs reported (2 cores shared, one torch thread each, ~5-10 min of training per run):
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/train_then_evaluate.py --kind rectilinear --steps 300 \
        --lr 3e-4 --baseline 1.0
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/train_then_evaluate.py --kind rectilinear --steps 600 \
        --lr 3e-4 --baseline 1.0
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/train_then_evaluate.py --kind panorama --steps 300 \
        --lr 3e-4 --baseline 1.0
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/train_then_evaluate.py --kind panorama --steps 500 \
        --lr 3e-4 --baseline 1.0
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/train_then_evaluate.py --kind equirect --steps 300
    # the recipe's lr and the synth default baseline, wall-clock budget:
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/train_then_evaluate.py --kind rectilinear --minutes 6

Why `--baseline 1.0` and `--lr 3e-4` for a short run: the untrained monodepth net outputs a nearly
constant disparity of 0.3 * sigmoid(~0) = 0.155 of the width, while the default synthetic baselines give
median disparities of 0.036 W (street, 0.54 m) and 0.023 W (panorama, 0.26 m); the photometric loss on the
procedural textures only pulls a disparity towards the truth from within a pixel or two, so in a few
hundred steps from scratch the net never gets there (trained == untrained == constant depth). A 1 m
baseline puts the true disparities (median ~0.08 W) around the initial output. lr 1e-4 barely moves the
output in 300 steps; 1e-3 collapses the disparity (lr-consistency and smoothness terms drop to ~0).
(The equirect kind learned at the defaults, lr 1e-4 and 0.54 m, in 300 steps.) Panorama did not learn any
structure within 500 steps at any setting tried: its median-scaled metrics equal the constant-depth row; the
metric-scale gain there is only the global disparity level moving towards the data's.

For one `--kind` (rectilinear | equirect | panorama):
1. `panoconv.data.synth.generate` writes `--count` scenes at the training size (--height x --width) into
   `--out` (default runs/train_then_evaluate, git-ignored); split train / val / held-out test by scene.
2. The untrained model (monodepth-vgg initialised with `--seed`, exactly the trainer's initialisation) is
   saved as `untrained.safetensors`.
3. `panoconv.training.train` runs the stereo task on `train.txt` with the warp matching the data
   (rectilinear -> rectilinear, equirect -> equirectangular at the data set's fov, panorama -> panorama),
   TF1Adam, `--lr`, batch `--batch`, no augmentation by default (short run), for `--steps` steps, or as
   many steps as fit in `--minutes` (speed measured on a few calibration steps first). The lr schedule
   (halved at 3/5 and 4/5) spans exactly the run's steps.
4. `panoconv.evaluation.evaluate.evaluate` scores both weight files on the held-out test split only, with
   the same protocol for both rows, once at metric scale (disparity -> depth with baseline and focal /
   fov from meta.json) and once with per-image median scaling (an untrained net has no scale).

Evaluation input size (`--eval-size`): `train` (default) feeds the network the whole image at the training
size, as it was trained (registers, for this process, a copy of the monodepth-vgg card with that fixed size);
`library` uses the library's default predict recipes (rectilinear: resize to 256x512; panorama: the
"Eliminating the Blind Spot" band crop at 1024 px wide), which were designed for the converted KITTI model
and put a 128x256-trained net out of its training distribution.

Prints one table: kind, steps, minutes, per scaling abs_rel / sq_rel / rmse / a1 untrained vs trained and
trained / untrained ratio, plus the training loss at start and end. Seeds and thread count are printed
and written to `result.json` in the run folder.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import math
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import torch

from panoconv.arch import DEFAULT_ARCH, get_card, register_card
from panoconv.data.stereo import KIND_TO_WARP
from panoconv.data.synth import SynthRequest, generate
from panoconv.evaluation.datasets import open_data
from panoconv.evaluation.evaluate import EvaluateRequest, evaluate, score_image
from panoconv.evaluation.metrics import mean_metrics
from panoconv.inference.layout import PanoramaLayout
from panoconv.training import train
from panoconv.training.config import DataSpec, TrainConfig
from panoconv.training.export import write_weights
from panoconv.training.registry import create_task, resolve_config
from panoconv.training.trainer import seed_everything

ARCH = DEFAULT_ARCH
SHOWN = ("abs_rel", "sq_rel", "rmse", "a1")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--kind", choices=("rectilinear", "equirect", "panorama"), required=True)
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--steps", type=int, help="optimisation steps")
    budget.add_argument("--minutes", type=float, default=6.0, help="training wall-time budget [6]")
    p.add_argument("--count", type=int, default=80, help="scenes in total [80]")
    p.add_argument("--test-fraction", type=float, default=0.15, help="held-out test share [0.15 -> 12 of 80]")
    p.add_argument("--val-fraction", type=float, default=0.05)
    p.add_argument("--baseline", type=float, default=None,
                   help="stereo baseline in metres [synth default: 0.54 street, 0.26 panorama]")
    p.add_argument("--height", type=int, default=128)
    p.add_argument("--width", type=int, default=256)
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--lr", type=float, default=1e-4, help="peak lr [1e-4, the recipe's]")
    p.add_argument("--augment", action="store_true", help="flip / colour augmentation (off by default)")
    p.add_argument("--seed", type=int, default=0, help="model init and sampling seed")
    p.add_argument("--data-seed", type=int, default=0, help="synthetic scene seed")
    p.add_argument("--threads", type=int, default=None,
                   help="torch threads [torch default / OMP_NUM_THREADS]")
    p.add_argument("--eval-size", choices=("train", "library"), default="train")
    p.add_argument("--out", type=Path, default=Path("runs/train_then_evaluate"))
    p.add_argument("--force", action="store_true", help="replace an existing run folder")
    return p.parse_args(argv)


def ensure_data(args: argparse.Namespace) -> Path:
    out = args.out / (f"data_{args.kind}_{args.count}_{args.height}x{args.width}_s{args.data_seed}"
                      f"_t{args.test_fraction}_v{args.val_fraction}"
                      + (f"_b{args.baseline:g}" if args.baseline is not None else ""))
    if (out / "meta.json").is_file():
        return out
    return generate(SynthRequest(out=out, kind=args.kind, count=args.count, height=args.height,
                                 width=args.width, seed=args.data_seed, baseline=args.baseline,
                                 val_fraction=args.val_fraction, test_fraction=args.test_fraction,
                                 progress=False))


def base_config(args: argparse.Namespace, data: Path, run: Path, steps: int, n_train: int) -> TrainConfig:
    meta = json.loads((data / "meta.json").read_text())
    warp = KIND_TO_WARP[args.kind]
    spec = DataSpec(str(data / "train.txt"), str(data), warp=warp, fov_deg=float(meta["fov_deg"]))
    per_epoch = n_train // args.batch
    return TrainConfig(data=(spec,), task="stereo", arch=ARCH, lr=args.lr, batch_size=args.batch,
                       epochs=max(1, math.ceil(steps / per_epoch)), height=args.height, width=args.width,
                       seed=args.seed, augment=args.augment, out=str(run), max_steps=steps,
                       snapshot_every=10**9, threads=args.threads, log_every=10**9, image_every=10**9,
                       progress=False, force=True)


def save_untrained(config: TrainConfig, path: Path) -> None:
    """The trainer's initial model: `seed_everything(seed)` then the task's `build_model()`."""
    config = resolve_config(config)
    seed_everything(config.seed)
    model = create_task(config).build_model()
    write_weights(model.state_dict(), config, 0, path)


def calibrate(config: TrainConfig, steps: int = 4) -> float:
    """Seconds per training step, from the last step of a short throw-away run."""
    probe = config.replace(out=config.out + "_calibrate", max_steps=steps, epochs=config.epochs)
    result = train(probe)
    shutil.rmtree(probe.out, ignore_errors=True)
    return probe.batch_size / result.images_per_s  # the last step's time (past the warm-up)


def run_evaluate(args: argparse.Namespace, data: Path, weights: list[Path], median: bool, arch: str = ARCH):
    layout = PanoramaLayout()
    req = EvaluateRequest(weights=tuple(weights), data=data, kind="synth", split="test",
                          median_scaling=median, postprocess=True, layout=layout, arch=arch, progress=False)
    return evaluate(req)


def constant_baseline(req: EvaluateRequest) -> dict[str, float]:
    """A constant depth map scored with the same protocol, median-scaled: the floor an untrained net sits
    at."""
    data = open_data(req.kind, req.data, split=req.split)
    scores = []
    for sample in data.samples:
        gt = data.read_gt(sample.gt)
        scores.append(score_image(np.ones_like(gt), "depth", gt, data, req, str(sample.gt)).metrics)
    return mean_metrics(scores).as_dict()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    threads = torch.get_num_threads()
    t_start = time.perf_counter()
    data = ensure_data(args)
    meta = json.loads((data / "meta.json").read_text())
    n_train = meta["splits"]["train"]
    budget = f"{args.steps}steps" if args.steps else f"{args.minutes:g}min"
    run = args.out / (f"{args.kind}_{args.height}x{args.width}_b{args.batch}_lr{args.lr:g}_{budget}"
                      f"_s{args.seed}"
                      + ("_aug" if args.augment else "") + (f"_B{args.baseline:g}" if args.baseline else "")
                      + ("_evallib" if args.eval_size == "library" else ""))
    if run.exists():
        if not args.force and (run / "result.json").is_file():
            print(f"{run}: already done (use --force to redo)\n" + (run / "result.json").read_text())
            return 0
        shutil.rmtree(run)
    run.mkdir(parents=True)
    print(f"data {data}: {meta['splits']} scenes, {args.width}x{args.height}, warp {KIND_TO_WARP[args.kind]} "
          f"fov {meta['fov_deg']}, baseline {meta['baseline_m']} m; seeds model/sampling {args.seed} "
          f"data {args.data_seed}; torch threads {threads} "
          f"(OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')})",
          flush=True)

    steps = args.steps
    sec_per_step = None
    if steps is None:
        sec_per_step = calibrate(base_config(args, data, run / "train", 4, n_train))
        steps = max(1, int(args.minutes * 60 / sec_per_step))
        print(f"calibration: {sec_per_step:.2f} s/step -> {steps} steps in {args.minutes:g} min", flush=True)
    config = base_config(args, data, run / "train", steps, n_train)
    untrained = run / "untrained.safetensors"
    save_untrained(config, untrained)

    t0 = time.perf_counter()
    result = train(config)
    train_min = (time.perf_counter() - t0) / 60
    losses = result.losses
    k = max(1, min(10, len(losses) // 5))
    loss_first, loss_last = sum(losses[:k]) / k, sum(losses[-k:]) / k
    trained = run / "trained.safetensors"
    shutil.copyfile(result.weights, trained)
    print(f"trained {result.step} steps in {train_min:.2f} min ({result.images_per_s:.2f} img/s); loss mean "
          f"of first/last {k} steps {loss_first:.4f} -> {loss_last:.4f}", flush=True)

    eval_arch = ARCH
    if args.eval_size == "train":
        # whole image at the training size, as the net was trained (this process only)
        eval_arch = f"{ARCH}@{args.height}x{args.width}"
        register_card(dataclasses.replace(get_card(ARCH), name=eval_arch, fixed_size=True,
                                          predict_size=(args.height, args.width)))
    tables, rows = [], {}
    for median in (False, True):
        report = run_evaluate(args, data, [untrained, trained], median, eval_arch)
        tables.append(report.to_table())
        rows["median" if median else "metric"] = {r.model: r.metrics for r in report.rows}
    const = constant_baseline(EvaluateRequest(weights=(), data=data, kind="synth", split="test",
                                              median_scaling=True))
    tables.append("constant depth, median-scaled (same protocol): "
                  + " ".join(f"{k}={v:.4f}" for k, v in const.items()))
    eval_min = (time.perf_counter() - t0) / 60 - train_min

    print()
    for t in tables:
        print(t + "\n")
    header = (f"{'kind':12} {'steps':>5} {'train_min':>9} {'scaling':8} {'metric':8} {'untrained':>10} "
              f"{'trained':>10} {'ratio':>7}")
    lines = [header, "-" * len(header)]
    summary: dict[str, dict[str, dict[str, float]]] = {}
    for scaling, by_model in rows.items():
        u, t = by_model[untrained.name], by_model[trained.name]
        summary[scaling] = {}
        for name in SHOWN:
            ratio = t[name] / u[name] if u[name] else (math.inf if t[name] else math.nan)
            summary[scaling][name] = {"untrained": u[name], "trained": t[name], "ratio": ratio}
            lines.append(f"{args.kind:12} {result.step:5d} {train_min:9.2f} {scaling:8} {name:8} "
                         f"{u[name]:10.4f} {t[name]:10.4f} {ratio:7.3f}")
    print("\n".join(lines))
    total_min = (time.perf_counter() - t_start) / 60
    print(f"\nwall time: total {total_min:.2f} min (train {train_min:.2f}, evaluate {eval_min:.2f}); "
          f"images in test split: {meta['splits']['test']}; eval size {args.eval_size}")
    record = {"args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
              "threads": threads, "steps": result.step, "sec_per_step_calibrated": sec_per_step,
              "train_minutes": train_min, "total_minutes": total_min, "loss_first": loss_first,
              "loss_last": loss_last, "constant_median_scaled": const, "splits": meta["splits"],
              "metrics": summary, "python": sys.version.split()[0], "torch": torch.__version__}
    (run / "result.json").write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
