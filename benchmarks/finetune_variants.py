"""What limits fine-tuning on the new camera: recipe variants of finetune_then_evaluate.py's crop stage.

    # once finetune_then_evaluate.py has written runs/finetune_then_evaluate (converted weights, data):
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/finetune_variants.py --threads 1 --steps 1000 \
        --only freeze_encoder,augment          # one process per core; then the other stages, then:
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/finetune_variants.py --threads 1 --steps 1000  # trains the
        # rest (reusing what exists) and scores everything

Every variant starts from the same converted file (`--base`/converted.safetensors), with the settings of
the benchmark's `crop_finetune` (lr 1e-4, warm-up 20, halving, `--disp-init scan`) or `crop_scratch` (lr 3e-4,
`--disp-init scan`) except for the one thing named:

- `disp_init_only`: the converted model with the scan's disparity shift and no training (`--lr 0`, one step):
  the start that every `--disp-init scan` fine-tuning run really begins from;
- `freeze_encoder`: `--freeze encoder` (the decoder alone adapts; half the step time);
- `augment`: monodepth's flip and colour augmentation on (the benchmark trains without it);
- `smooth_finetune` / `smooth_scratch`: the same crops camera and scenes with the "smooth" texture family;
- `large_finetune` / `large_scratch`: the geometric crops with `--large-count` scenes (default 400: 320 train,
  60 test) instead of 80, which also makes the test split five times larger; `--large-steps` (2000) long.

The table scores each model on the test split of its own crops domain and on the original street domain:
metric abs_rel, median-scaled abs_rel, and `best factor -> abs_rel`: the single disparity factor, the same
for every test image, that minimises the metric abs_rel, and the abs_rel it gives; and the range of the
median predicted depth over the test scenes, beside the truth's (`truth` rows). A model whose metric error is
mostly the camera's scale gains much from that factor; one that predicts the same median depth for every
scene (it does not tell a near scene from a far one) cannot get below what that factor gives.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import finetune_then_evaluate as fte

from panoconv.arch import card_of
from panoconv.evaluation.datasets import open_data
from panoconv.evaluation.evaluate import EvaluateRequest, score_image
from panoconv.evaluation.evaluate import _to_depth as depth_of
from panoconv.evaluation.protocols import KITTI_MAX_DEPTH
from panoconv.inference.layout import PanoramaLayout
from panoconv.inference.pipeline import predict_array
from panoconv.io.images import load_rgb
from panoconv.runtime import prepare_model
from panoconv.weights import load_model


@dataclass(frozen=True)
class Variant:
    """One training run: where it trains, from what, and the settings it changes (its length: one step
    without updates, --large-steps on the large crops, --steps otherwise)."""
    domain: str  # key of `domains()`: crops | smooth | large
    finetune: bool  # from the converted weights (crop_finetune's settings), else scratch (crop_scratch's)
    extra: dict  # stage_train keywords on top of those settings
    updates: bool = True  # False: lr 0, one step: the start as the recipe sets it up (disparity shifted)


VARIANTS = {
    "disp_init_only": Variant("crops", True, {}, updates=False),
    "freeze_encoder": Variant("crops", True, {"freeze": ("encoder",)}),
    "augment": Variant("crops", True, {"augment": True}),
    "smooth_finetune": Variant("smooth", True, {}),
    "smooth_scratch": Variant("smooth", False, {}),
    "large_finetune": Variant("large", True, {}),
    "large_scratch": Variant("large", False, {}),
}
#: global disparity factors tried for `best factor` (0.2 .. 5, log-spaced)
FACTORS = np.exp(np.linspace(np.log(0.2), np.log(5.0), 161))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--base", type=Path, default=Path("runs/finetune_then_evaluate"),
                   help="finetune_then_evaluate.py's --out (its converted weights and data sets)")
    p.add_argument("--out", type=Path, default=Path("runs/finetune_variants"))
    p.add_argument("--steps", type=int, default=1000, help="training steps of every variant [1000]")
    p.add_argument("--large-count", type=int, default=400, help="scenes of the large crops domain [400]")
    p.add_argument("--large-steps", type=int, default=2000, help="training steps of the large_* variants "
                   "[2000: the length at which crop_finetune did best on 80 scenes]")
    p.add_argument("--only", default="", help="comma-separated variants to train and stop (no scoring)")
    p.add_argument("--score-only", action="store_true",
                   help="score the variants' weights in --out as they are (trained by earlier runs, whatever "
                   "their thread count), train nothing")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def bench_args(args: argparse.Namespace, **override: object) -> argparse.Namespace:
    """finetune_then_evaluate's settings (its defaults) with this run's output folder, seed and threads."""
    argv = ["--out", str(args.out), "--crop-steps", str(args.steps), "--seed", str(args.seed)]
    if args.threads is not None:
        argv += ["--threads", str(args.threads)]
    for key, value in override.items():
        argv += [f"--{key.replace('_', '-')}", str(value)]
    return fte.parse_args(argv)


def domains(args: argparse.Namespace) -> dict[str, Path]:
    """The data sets: the benchmark's own (from --base) and the two variants' (made here, seeded)."""
    base = bench_args(args)
    base.out = args.base
    crop = fte.ensure_data(base, fte.DOMAINS[1])
    rect = fte.ensure_data(base, fte.DOMAINS[0])
    smooth = fte.ensure_data(bench_args(args, crop_textures="smooth"), fte.DOMAINS[1])
    large = fte.ensure_data(bench_args(args, count=args.large_count), fte.DOMAINS[1])
    return {"crops": crop, "street": rect, "smooth": smooth, "large": large}


def train_variant(args: argparse.Namespace, name: str, data: dict[str, Path], converted: Path) -> Path:
    """Train (or reuse) one variant with `crop_finetune`'s settings (from converted) or `crop_scratch`'s."""
    v = VARIANTS[name]
    b = bench_args(args)
    steps = 1 if not v.updates else args.large_steps if v.domain == "large" else args.steps
    if not v.updates:
        lr, init, extra = 0.0, converted, {"disp_init": "scan", **v.extra}
    elif v.finetune:
        lr, init, extra = b.finetune_lr, converted, {"lr_warmup": b.warmup, "disp_init": "scan", **v.extra}
    else:
        lr, init, extra = b.scratch_lr, None, {"disp_init": "scan", **v.extra}
    weights, _ = fte.stage_train(b, name, data[v.domain], steps, lr, init, **extra)
    return weights


@dataclass(frozen=True)
class LevelCheck:
    best_factor: float  # the one disparity factor for all test images that minimises the mean metric abs_rel
    abs_rel_at_best: float  # that mean
    predicted_medians: list[float]  # median predicted depth of each test image, metres (over valid truth)
    true_medians: list[float]  # median true depth of each test image


def level_check(data_dir: Path, weights: Path) -> LevelCheck:
    """How much of the metric error one global factor removes, and whether the model tells scenes apart."""
    meta = json.loads((data_dir / "meta.json").read_text())
    arch = fte.eval_card(int(meta["height"]), int(meta["width"]))
    req = EvaluateRequest(weights=(), data=data_dir, kind="synth", split="test", median_scaling=False,
                          arch=arch, progress=False)
    data = open_data("synth", data_dir, split="test")
    model = prepare_model(load_model(weights, architecture=arch), torch.device("cpu"))
    kind = card_of(model, arch).output_kind
    predicted, pred_medians, true_medians = [], [], []
    for s in data.samples:
        values = predict_array(model, load_rgb(s.image).pixels, data.camera, postprocess=True,
                               layout=PanoramaLayout(), arch=arch)
        gt = data.read_gt(s.gt)
        predicted.append((values, gt, s.label()))
        valid = (gt > 0) & (gt <= KITTI_MAX_DEPTH)
        pred_medians.append(float(np.median(depth_of(values, data, kind, values.shape[1])[valid])))
        true_medians.append(float(np.median(gt[valid])))
    means = [np.mean([score_image(v * f, kind, gt, data, req, where).metrics.abs_rel
                      for v, gt, where in predicted]) for f in FACTORS]
    i = int(np.argmin(means))
    return LevelCheck(float(FACTORS[i]), float(means[i]), pred_medians, true_medians)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    converted = args.base / "converted.safetensors"
    if not converted.is_file():
        raise SystemExit(f"{converted}: not there; run finetune_then_evaluate.py --out {args.base} first")
    only = [s for s in args.only.split(",") if s]
    unknown = set(only) - set(VARIANTS)
    if unknown:
        raise SystemExit(f"--only: unknown variant(s) {', '.join(sorted(unknown))}; variants: "
                         f"{', '.join(VARIANTS)}")
    data = domains(args)
    t0 = time.perf_counter()
    if args.score_only:
        models = {name: args.out / f"{name}.safetensors" for name in VARIANTS}
        missing = [str(p) for p in models.values() if not p.is_file()]
        if missing:
            raise SystemExit(f"--score-only: not trained yet: {', '.join(missing)}")
    else:
        models = {name: train_variant(args, name, data, converted) for name in (only or VARIANTS)}
    if only:
        print(f"--only {args.only}: done ({(time.perf_counter() - t0) / 60:.1f} min)")
        return 0
    rows: dict[str, dict] = {}
    b = bench_args(args)
    for where in ("crops", "smooth", "large"):
        group = {"converted (start)": converted,
                 **{n: w for n, w in models.items() if VARIANTS[n].domain == where}}
        scores = fte.score(b, data[where], group)
        for label, weights in group.items():
            level = level_check(data[where], weights)
            rows[f"{where}: {label}"] = {**scores[label], **asdict(level)}
        rows[f"{where}: constant depth"] = scores["constant depth"]
        rows[f"{where}: truth"] = {"predicted_medians": level.true_medians}  # the same for every model
    street = fte.score(b, data["street"], {"converted (start)": converted,  # the runs that started from it
                                           **{n: w for n, w in models.items() if VARIANTS[n].finetune}})
    head = (f"{'test domain: model':34} {'metric':>8} {'median':>8} {'best factor -> abs_rel':>24} "
            f"{'median depth per scene (m)':>28}")
    lines = [head, "-" * len(head)]
    for label, r in rows.items():
        metric = f"{r['metric']['abs_rel']:8.4f}" if "metric" in r else f"{'-':>8}"
        median = f"{r['median']['abs_rel']:8.4f}" if "median" in r else f"{'-':>8}"
        best = f"{r['best_factor']:10.3f} -> {r['abs_rel_at_best']:.4f}" if "best_factor" in r else ""
        spread = r.get("predicted_medians")
        levels = f"{min(spread):6.1f} .. {max(spread):5.1f}" if spread else ""
        lines.append(f"{label:34} {metric} {median} {best:>24} {levels:>28}")
    for label, r in street.items():
        metric = f"{r['metric']['abs_rel']:8.4f}" if "metric" in r else f"{'-':>8}"
        lines.append(f"{'street (original): ' + label:34} {metric} {r['median']['abs_rel']:8.4f}")
    print("\n".join(lines))
    stamps = {n: json.loads((args.out / n / "stage.json").read_text()) for n in models
              if (args.out / n / "stage.json").is_file()}
    record = {"args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
              "stages": stamps, "new_domains": rows, "street": street, "load": os.getloadavg()[0],
              "torch_threads": torch.get_num_threads(), "torch": torch.__version__}
    (args.out / "result.json").write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
