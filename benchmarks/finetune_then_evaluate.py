"""Fine-tuning converted weights: a new camera and domain, then full 360-degree panoramas, held out.

    # the run reported in the README (one torch thread per process; two processes, then the scoring run):
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/finetune_then_evaluate.py --threads 1 \
        --only source,crop_finetune,pano_finetune_nodisp &
    # (once the three data sets exist, in a second process:)
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/finetune_then_evaluate.py --threads 1 \
        --only crop_scratch,pano_scratch
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/finetune_then_evaluate.py --threads 1 --only pano_finetune
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/finetune_then_evaluate.py --threads 1   # reuses all, scores
    # or everything in one process (the sum of the stage times):
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/finetune_then_evaluate.py --threads 1

Why the source domain is 128x256 (an earlier default of 128x128 with 200 steps learned nothing): with the
same seed, lr 3e-4, 1 m baseline and 300 steps, train_then_evaluate.py learns at 128x256 (median-scaled
abs_rel 0.580 -> 0.418, floor 0.580) and not at 128x128 (1.101 -> 1.132, floor 1.102; metric abs_rel
0.60 -> 12.3: the disparity collapsed towards 0). Same horizontal field of view (82.5 deg), so the square
image sees 41 deg down instead of 23: 29% of its pixels are near ground with a true disparity above 0.15 W (8%
at 128x256), 2.7% above the network's 0.3 W ceiling. The photometric loss only pulls a disparity in from a
pixel or two, and from there the smoothness and left-right terms pull everything down. The lr and
baseline are train_then_evaluate.py's settings that learn from scratch in minutes.

The user path, end to end, every stage with fixed seeds (`--seed` for model init and sampling, data
seeds 0 / 1 / 2 for the three domains):

1. Source model: monodepth-vgg trained from scratch on synthetic street scenes (the "mixed" texture
   family) seen by a rectilinear 82.5-degree camera with a 1 m baseline (`--source-steps`, lr 3e-4: what
   trains from scratch in minutes, see train_then_evaluate.py). Street domains at `--size` (128x256) with
   `--batch` 2, panoramas at `--pano-size` (128x256) with `--pano-batch` 2.
2. The TF path: its weights are written as an upstream-format TF1 checkpoint (`model-<step>.index/.data/
   .meta` + `checkpoint`, with Adam slots) by the TF reference, then `extract` and `convert` turn that into
   `converted.safetensors`, checked bitwise equal to the trained weights. Everything after starts from it.
3. New camera and domain: equirectangular crops (`--crop-fov` degrees, 0.54 m baseline, other scenes,
   and surfaces of the `--crop-textures` family: geometric, sharp-edged patterns only).
   `crop_finetune` = `--init converted --disp-init scan` with lr 1e-4, `--lr-warmup`, halving schedule;
   `crop_scratch` = the same length from scratch at lr 3e-4 (the from-scratch setting that learns fastest),
   also with `--disp-init scan`; `crop_finetune_mixed` = `crop_finetune` with the original street data
   mixed in per step (two `--data`; each batch from one data set, in proportion to their sizes, so about
   half the steps), the guard against forgetting the original domain.
4. Full 360-degree panoramas (indoor rooms, 0.26 m baseline, the panorama warp with wrap-around):
   `pano_finetune` = `--init crop_finetune --disp-init scan`; `pano_finetune_nodisp` = the same without
   `--disp-init` (the measurement that decides the disparity-range initialisation); `pano_scratch` = the
   same length from scratch with `--disp-init scan`; `pano_scratch_nodisp` = from scratch as is (skipped
   by default).

`--only STAGE,...` trains just those stages and stops (no scoring), so independent stages can run in a
second process; a stage whose starting weights are not there yet is refused.

Every model is scored on the held-out test split of each domain it matters for, with the training size
fed whole (as train_then_evaluate.py `--eval-size train`), at metric scale and with per-image median
scaling, beside a constant-depth map (median-scaled: the floor of a network that has learned nothing).
One table; `result.json` in `--out` keeps every number, seeds, thread count and stage timings. Stages
whose output exists with the same settings are reused (`--force` redoes everything).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_then_evaluate import constant_baseline, run_evaluate

from panoconv.arch import DEFAULT_ARCH, get_card, list_cards, register_card
from panoconv.converter.convert import ConvertRequest, convert
from panoconv.converter.name_map import torch_to_tf
from panoconv.data.stereo import KIND_TO_WARP
from panoconv.data.synth import SynthRequest, generate
from panoconv.evaluation.evaluate import EvaluateRequest
from panoconv.tf_reference.checkpoint import CheckpointSpec, make_checkpoint
from panoconv.training import train
from panoconv.training.config import DataSpec, TrainConfig
from panoconv.weights import load_weights
from panoconv.weights.extract import ExtractRequest, extract

ARCH = DEFAULT_ARCH
SHOWN = ("abs_rel", "rmse", "a1")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--source-steps", type=int, default=600)
    p.add_argument("--crop-steps", type=int, default=300)
    p.add_argument("--pano-steps", type=int, default=300)
    p.add_argument("--count", type=int, default=80, help="scenes per domain [80: 64 train / 4 val / 12 test]")
    p.add_argument("--size", default="128x256", help="HxW of the street domains [128x256; 128x128 does not "
                   "learn from scratch in 300 steps, see the docstring]")
    p.add_argument("--pano-size", default="128x256", help="HxW of the panoramas (W = 2H) [128x256]")
    p.add_argument("--crop-fov", type=float, default=100.0, help="equirect crop field of view [100]")
    p.add_argument("--crop-textures", default="geometric", choices=("mixed", "smooth", "geometric"),
                   help="texture family of the new domain [geometric; the source domain is mixed]")
    p.add_argument("--batch", type=int, default=2, help="batch of the street domains [2]")
    p.add_argument("--pano-batch", type=int, default=2,
                   help="batch of the panoramas [2: same pixels per step]")
    p.add_argument("--finetune-lr", type=float, default=1e-4)
    p.add_argument("--scratch-lr", type=float, default=3e-4)
    p.add_argument("--warmup", type=int, default=20, help="lr warm-up steps of the fine-tuning runs [20]")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--skip", default="pano_scratch_nodisp",
                   help="comma-separated optional stages to leave out [pano_scratch_nodisp: README's "
                   "train_then_evaluate row already shows that from scratch learns nothing in minutes]; '' "
                   "runs all")
    p.add_argument("--only", default="",
                   help="comma-separated training stages to run and stop (no scoring), e.g. crop_scratch,"
                   "pano_scratch in a second process while the source trains; a later full run reuses them")
    p.add_argument("--out", type=Path, default=Path("runs/finetune_then_evaluate"))
    p.add_argument("--force", action="store_true")
    return p.parse_args(argv)


@dataclasses.dataclass(frozen=True)
class Domain:
    name: str
    kind: str
    data_seed: int
    baseline: float
    fov: float | None = None
    textures: str = "mixed"


#: the training stages in order (each reused when its output exists with the same settings)
STAGES = ("source", "crop_finetune", "crop_scratch", "crop_finetune_mixed", "pano_finetune_nodisp",
          "pano_finetune", "pano_scratch", "pano_scratch_nodisp")
DOMAINS = (Domain("street_rect", "rectilinear", 0, 1.0), Domain("street_crop", "equirect", 1, 0.54),
           Domain("room_pano", "panorama", 2, 0.26))


def size_of(args: argparse.Namespace, kind: str) -> tuple[int, int]:
    h, w = (int(v) for v in (args.pano_size if kind == "panorama" else args.size).split("x"))
    return h, w


def ensure_data(args: argparse.Namespace, domain: Domain) -> Path:
    fov = args.crop_fov if domain.kind == "equirect" else domain.fov
    textures = args.crop_textures if domain.kind == "equirect" else domain.textures
    h, w = size_of(args, domain.kind)
    out = args.out / f"data_{domain.name}_{args.count}_{h}x{w}_fov{fov}_{textures}"
    if not (out / "meta.json").is_file():
        generate(SynthRequest(out=out, kind=domain.kind, count=args.count, height=h, width=w,
                              seed=domain.data_seed, baseline=domain.baseline, fov_deg=fov, val_fraction=0.05,
                              test_fraction=0.15, progress=False, force=True, textures=textures))
    return out


def data_spec(data: Path, meta: dict) -> DataSpec:
    """The training split of a synth data set (`meta`: its meta.json), with its own warp and field of view."""
    return DataSpec(str(data / "train.txt"), str(data), warp=KIND_TO_WARP[meta["kind"]],
                    fov_deg=float(meta["fov_deg"]))


def stage_train(args: argparse.Namespace, name: str, data: Path, steps: int, lr: float, init: Path | None,
                also: tuple[Path, ...] = (), augment: bool = False, **extra) -> tuple[Path, dict]:
    """Train one stage (or reuse it when its settings are unchanged); returns the weights and a record.

    `also`: more data sets mixed in per step (each batch comes from one data set, drawn in proportion to
    the sizes), e.g. the original domain as a guard against forgetting it. `augment`: monodepth's flip and
    colour augmentation (off in every stage here). `extra`: more TrainConfig fields."""
    metas = {d: json.loads((d / "meta.json").read_text()) for d in (data, *also)}
    meta = metas[data]
    specs = tuple(data_spec(d, m) for d, m in metas.items())
    batch = args.pano_batch if meta["kind"] == "panorama" else args.batch
    per_epoch = sum(m["splits"]["train"] for m in metas.values()) // batch
    config = TrainConfig(data=specs, task="stereo", arch=ARCH, init=None if init is None else str(init),
                         lr=lr, batch_size=batch, epochs=-(-steps // per_epoch), height=int(meta["height"]),
                         width=int(meta["width"]), seed=args.seed, augment=augment, out=str(args.out / name),
                         max_steps=steps, lr_schedule_steps=steps, lr_schedule="halving",
                         snapshot_every=10**9, snapshot_minutes=None, threads=args.threads,
                         log_every=10**9, image_every=10**9, progress=False, force=True, **extra)
    stamp = args.out / name / "stage.json"
    weights = args.out / f"{name}.safetensors"
    wanted = json.loads(config.to_json())
    if not args.force and stamp.is_file() and weights.is_file():
        done = json.loads(stamp.read_text())
        if done["config"] == wanted:
            print(f"{name}: reused ({done['steps']} steps, {done['train_minutes']:.2f} min)", flush=True)
            return weights, done
    t0 = time.perf_counter()
    result = train(config)
    minutes = (time.perf_counter() - t0) / 60
    shutil.copyfile(result.weights, weights)
    k = max(1, min(10, len(result.losses) // 5))
    record = {"config": wanted, "steps": result.step, "train_minutes": minutes,
              "loss_first": sum(result.losses[:k]) / k, "loss_last": sum(result.losses[-k:]) / k}
    stamp.write_text(json.dumps(record, indent=2) + "\n")
    print(f"{name}: {result.step} steps in {minutes:.2f} min, loss {record['loss_first']:.4f} -> "
          f"{record['loss_last']:.4f}", flush=True)
    return weights, record


def through_tf(args: argparse.Namespace, trained: Path, step: int) -> tuple[Path, dict]:
    """PyTorch weights -> upstream-format TF checkpoint (TF reference) -> extract -> convert."""
    folder = args.out / "tf_path"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    t0 = time.perf_counter()
    state, _ = load_weights(trained)
    card = get_card(ARCH)
    values = torch_to_tf({k: v.numpy() for k, v in state.items()}, card.tf_name_table)
    prefix = make_checkpoint(CheckpointSpec(folder / "model", step=step, with_optimizer=True,
                                            architecture=ARCH), values)
    extract(ExtractRequest(prefix, folder / "store"), progress=False)
    converted = args.out / "converted.safetensors"
    convert(ConvertRequest(folder / "store", converted, architecture=ARCH, force=True))
    back, _ = load_weights(converted)
    worst = max(float((back[k] - state[k]).abs().max()) for k in state)
    if worst != 0.0 or set(back) != set(state):
        raise SystemExit(f"TF round trip changed the weights (max |diff| {worst})")
    files = sorted(p.name for p in folder.iterdir())
    record = {"seconds": time.perf_counter() - t0, "checkpoint": str(prefix), "files": files,
              "max_abs_diff": worst}
    print(f"TF path: {prefix.name} ({', '.join(files)}) -> extract -> convert: bitwise equal, "
          f"{record['seconds']:.1f} s", flush=True)
    return converted, record


def eval_card(height: int, width: int) -> str:
    """A copy of the card that predicts at exactly the training size (this process only)."""
    name = f"{ARCH}@{height}x{width}"
    if name not in list_cards():
        register_card(dataclasses.replace(get_card(ARCH), name=name, fixed_size=True,
                                          predict_size=(height, width)))
    return name


def score(args: argparse.Namespace, data: Path, models: dict[str, Path]) -> dict:
    """metric-scale and median-scaled metrics of every model on `data`'s test split, plus the floor."""
    meta = json.loads((data / "meta.json").read_text())
    eval_arch = eval_card(int(meta["height"]), int(meta["width"]))
    out: dict[str, dict] = {}
    for median in (False, True):
        report = run_evaluate(args, data, list(models.values()), median, eval_arch)
        by_file = {r.model: r.metrics for r in report.rows}
        for label, path in models.items():
            out.setdefault(label, {})["median" if median else "metric"] = by_file[path.name]
    out["constant depth"] = {"median": constant_baseline(EvaluateRequest(weights=(), data=data, kind="synth",
                                                                         split="test", median_scaling=True))}
    return out


def table(scores: dict[str, dict]) -> str:
    head = f"{'test domain':12} {'model':26} " + " ".join(f"{s + ' ' + m:>14}" for s in ("metric", "median")
                                                          for m in SHOWN)
    lines = [head, "-" * len(head)]
    for domain, rows in scores.items():
        for label, by in rows.items():
            cells = []
            for scaling in ("metric", "median"):
                m = by.get(scaling)
                cells += [f"{m[k]:14.4f}" if m else f"{'-':>14}" for k in SHOWN]
            lines.append(f"{domain:12} {label:26} " + " ".join(cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # the scanned factor and its losses
    logging.getLogger("panoconv.training.disp_init").setLevel(logging.INFO)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    args.threads = torch.get_num_threads()
    skip = {s for s in args.skip.split(",") if s}
    if args.force and args.out.exists():
        shutil.rmtree(args.out)
    args.out.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    rect, crop, pano = (ensure_data(args, d) for d in DOMAINS)
    print(f"data: {rect.name}, {crop.name}, {pano.name}; seed {args.seed}; torch threads {args.threads} "
          f"(OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}); load {os.getloadavg()[0]:.1f}", flush=True)
    stages: dict[str, dict] = {}
    only = {s for s in args.only.split(",") if s}
    unknown = only - set(STAGES)
    if unknown:
        raise SystemExit(f"--only: unknown stage(s) {', '.join(sorted(unknown))}; "
                         f"stages: {', '.join(STAGES)}")
    ft = {"lr_warmup": args.warmup, "disp_init": "scan"}
    converted = args.out / "converted.safetensors"
    crop_ft = args.out / "crop_finetune.safetensors"
    runs = {"source": (rect, args.source_steps, args.scratch_lr, None, {}),
            "crop_finetune": (crop, args.crop_steps, args.finetune_lr, converted, ft),
            "crop_scratch": (crop, args.crop_steps, args.scratch_lr, None, {"disp_init": "scan"}),
            # the guard against forgetting: the original street data mixed in per step (half the batches)
            "crop_finetune_mixed": (crop, args.crop_steps, args.finetune_lr, converted,
                                    {**ft, "also": (rect,)}),
            "pano_finetune_nodisp": (pano, args.pano_steps, args.finetune_lr, crop_ft,
                                     {"lr_warmup": args.warmup}),
            "pano_finetune": (pano, args.pano_steps, args.finetune_lr, crop_ft, ft),
            "pano_scratch": (pano, args.pano_steps, args.scratch_lr, None, {"disp_init": "scan"}),
            "pano_scratch_nodisp": (pano, args.pano_steps, args.scratch_lr, None, {})}
    models: dict[str, Path] = {}
    for name, (data, steps, lr, init, extra) in runs.items():
        if name in skip or (only and name not in only):
            continue
        if init is not None and not init.is_file():
            raise SystemExit(f"{name} starts from {init}, which is not there yet (run its stage first)")
        models[name], stages[name] = stage_train(args, name, data, steps, lr, init, **extra)
        if name == "source":
            converted, stages["tf_path"] = through_tf(args, models[name], args.source_steps)
    if only:
        print(f"--only {args.only}: done ({(time.perf_counter() - t_start) / 60:.1f} min)")
        return 0
    crop_sc = models["crop_scratch"]
    pano_models = {k: v for k, v in models.items() if k.startswith("pano_")}
    mixed = {k: v for k, v in models.items() if k == "crop_finetune_mixed"}

    t_eval = time.perf_counter()
    scores = {
        "street_crop": score(args, crop, {"converted (start)": converted, "crop_finetune": crop_ft,
                                          "crop_scratch": crop_sc, **mixed}),
        "street_rect": score(args, rect, {"source = converted": converted, "crop_finetune": crop_ft,
                                          **mixed}),
        "room_pano": score(args, pano,
                           {"converted": converted, "crop_finetune (start)": crop_ft, **pano_models}),
    }
    eval_min = (time.perf_counter() - t_eval) / 60
    print("\n" + table(scores))
    total_min = (time.perf_counter() - t_start) / 60
    train_min = sum(s.get("train_minutes", 0.0) for s in stages.values())
    print(f"\nwall time {total_min:.1f} min (training {train_min:.1f}, evaluation {eval_min:.1f}); load "
          f"{os.getloadavg()[0]:.1f}; torch threads {args.threads}")
    for name, s in stages.items():
        if "steps" in s:
            print(f"  {name:22} {s['steps']:4d} steps {s['train_minutes']:6.2f} min, "
                  f"loss {s['loss_first']:.4f} -> {s['loss_last']:.4f}")
    record = {"args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
              "stages": {k: {kk: vv for kk, vv in v.items() if kk != "config"} for k, v in stages.items()},
              "scores": scores, "total_minutes": total_min, "python": sys.version.split()[0],
              "torch": torch.__version__, "numpy": np.__version__}
    (args.out / "result.json").write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
