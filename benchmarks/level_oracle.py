"""Can this network learn each scene's depth level from these images at all, in the fine-tuning budget?

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/level_oracle.py <synth data folder> \
        --init <converted.safetensors> --steps 1000 --out runs/level_oracle

finetune_variants.py shows that no self-supervised run tells a near scene from a far one: every model
predicts about the same median depth for every test scene. Two explanations differ in what would fix it:
the images carry no level cue this network can pick up in 1000 steps (then no recipe will), or they do and
the photometric loss does not teach it (then a better self-supervised signal would). This trains the same
network, from the same weights, for the same steps and batch, on the same training scenes, but with the
answer: an L1 loss on log disparity against the ground truth at each of the four output scales (truth
pooled to the scale, left view only). It is an upper bound of what the data can teach, not a recipe.

One table: the start, any `--model NAME=PATH` (e.g. the self-supervised fine-tuning and from-scratch runs
of the same length), and the oracle, each with metric and median-scaled abs_rel on the test split, the level
diagnostics of finetune_variants.py (best single disparity factor -> abs_rel, range of the median predicted
depth per scene, and its correlation with the true median across test scenes), and the *photometric
factor*: the one factor on the left disparity that minimises the left half of the training loss's image
term (the right view warped onto the left) on the train split. A
self-supervised run that has settled on its loss's level scores 1.00 there, whatever abs_rel would prefer.
Seeded; the oracle's weights go to `--out/oracle.safetensors` and are reused while the settings match.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
import finetune_then_evaluate as fte
from finetune_variants import level_check
from photometric_ambiguity import stereo_scenes, true_disparity

from panoconv.data.stereo import KIND_TO_WARP
from panoconv.evaluation.datasets import open_data
from panoconv.geometry.warps import warp
from panoconv.losses.monodepth import MonodepthLossConfig, image_term, scale_pyramid
from panoconv.weights import load_model, save_weights

NUM_SCALES = 4
#: output factors tried for the photometric factor (the training loss's image term, train split)
PHOTOMETRIC_FACTORS = tuple(round(0.3 + 0.05 * i, 2) for i in range(27))  # 0.30 .. 1.60


def _chw(pixels: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(pixels, np.float32)).permute(2, 0, 1)


@dataclass(frozen=True)
class TrainingPairs:
    """The train split in memory: (N, 3, H, W) left and right images and (N, 1, H, W) true left disparities
    (width fractions, 0 where the depth is invalid), and the loss settings of its warp."""
    left: torch.Tensor
    right: torch.Tensor
    disparity: torch.Tensor
    loss_config: MonodepthLossConfig


def training_pairs(folder: Path) -> TrainingPairs:
    """Read the train split once (both the oracle's training and every model's photometric factor use it)."""
    data = open_data("synth", folder, split="train")
    lefts, rights, disps = [], [], []
    for _, left, right, depth in stereo_scenes(data, "train"):
        valid = np.isfinite(depth) & (depth > 0)
        disp = np.where(valid, true_disparity(np.where(valid, depth, 1.0), data), 0.0)
        lefts.append(_chw(left))
        rights.append(_chw(right))
        disps.append(torch.from_numpy(disp.astype(np.float32))[None])
    meta = json.loads((folder / "meta.json").read_text())  # the warp and fov: not all of it in EvalData
    config = MonodepthLossConfig(warp=KIND_TO_WARP[meta["kind"]],
                                 **({"fov_deg": float(meta["fov_deg"])} if meta.get("fov_deg") else {}))
    return TrainingPairs(torch.stack(lefts), torch.stack(rights), torch.stack(disps), config)


def log_disparity_loss(disps: list[torch.Tensor], truth: torch.Tensor) -> torch.Tensor:
    """Sum over scales of the mean |log d - log d_true| over valid pixels; the truth and its validity are
    average-pooled to each scale (a pixel counts when its whole footprint is valid)."""
    total = truth.new_zeros(())
    valid = (truth > 0).float()
    for i, d in enumerate(disps[:NUM_SCALES]):
        k = 2 ** i
        t = F.avg_pool2d(truth, k) if k > 1 else truth
        v = (F.avg_pool2d(valid, k) if k > 1 else valid) > 1 - 1e-6
        err = (torch.log(d[:, :1].clamp_min(1e-6)) - torch.log(t.clamp_min(1e-6))).abs()
        total = total + err[v].mean()
    return total


def train_oracle(pairs: TrainingPairs, init: Path, steps: int, lr: float, batch: int,
                 seed: int) -> tuple[dict, list]:
    """Adam on the supervised loss, batches drawn by a seeded permutation per epoch; returns the state
    dict and the loss per step."""
    torch.manual_seed(seed)
    images, truth = pairs.left, pairs.disparity
    model = load_model(init, architecture=fte.ARCH)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    losses: list[float] = []
    order = torch.empty(0, dtype=torch.long)
    while len(losses) < steps:
        if len(order) < batch:
            order = torch.randperm(len(images), generator=gen)
        pick, order = order[:batch], order[batch:]
        loss = log_disparity_loss(model(images[pick]), truth[pick])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    return {k: v.detach().clone() for k, v in model.state_dict().items()}, losses


def left_image_term(disps: list[torch.Tensor], left: torch.Tensor, right: torch.Tensor,
                    config: MonodepthLossConfig) -> float:
    """The left half of the training loss's image term (right view warped by the left disparity, every
    scale): the only half that reads the left disparity, the one output the oracle is taught and scored on."""
    n = config.num_scales
    return sum(float(image_term(warp(rp, -d[:, :1], config.warp, config.fov_deg, config.equirect_rows), lp,
                                config.alpha))
               for d, lp, rp in zip(disps[:n], scale_pyramid(left, n), scale_pyramid(right, n), strict=True))


def photometric_factor(pairs: TrainingPairs, weights: Path, batch: int = 8) -> float:
    """The factor on the left disparity (PHOTOMETRIC_FACTORS) with the lowest left image term over the
    train split, with upstream's loss settings and the data set's warp: the disparity level that the
    self-supervised loss wants from this model."""
    model = load_model(weights, architecture=fte.ARCH).eval()
    with torch.no_grad():
        disps = [torch.cat(scale) for scale in zip(*(model(pairs.left[i:i + batch])
                                                      for i in range(0, len(pairs.left), batch)))]
        image = {f: left_image_term([d * f for d in disps], pairs.left, pairs.right, pairs.loss_config)
                 for f in PHOTOMETRIC_FACTORS}
    return min(image, key=image.get)


def describe(folder: Path, pairs: TrainingPairs, weights: Path, threads: int) -> dict:
    """Every column of the table for one model."""
    scores = fte.score(argparse.Namespace(threads=threads, device="cpu"), folder, {"model": weights})["model"]
    level = level_check(folder, weights)
    return {"weights": str(weights), "metric_abs_rel": scores["metric"]["abs_rel"],
            "median_abs_rel": scores["median"]["abs_rel"], "best_factor": level.best_factor,
            "abs_rel_at_best": level.abs_rel_at_best, "predicted_medians": level.predicted_medians,
            "true_medians": level.true_medians,
            "median_depth_correlation": float(np.corrcoef(level.predicted_medians, level.true_medians)[0, 1]),
            "photometric_factor": photometric_factor(pairs, weights)}


def named_model(text: str) -> tuple[str, Path]:
    name, sep, path = text.partition("=")
    if not sep or not name or not Path(path).is_file():
        raise argparse.ArgumentTypeError(f"expected NAME=PATH to a weights file, got {text!r}")
    return name, Path(path)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("data", type=Path, help="a `panoconv synth` data set (stereo kinds)")
    p.add_argument("--init", type=Path, required=True, help="starting weights (e.g. the converted model)")
    p.add_argument("--out", type=Path, default=Path("runs/level_oracle"))
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--model", type=named_model, action="append", default=[], metavar="NAME=PATH",
                   help="another model to put in the table (repeatable)")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    weights, stamp = args.out / "oracle.safetensors", args.out / "oracle.json"
    settings = {"data": str(args.data.resolve()), "init": str(args.init.resolve()), "steps": args.steps,
                "lr": args.lr, "batch": args.batch, "seed": args.seed}
    pairs = training_pairs(args.data)
    trained = json.loads(stamp.read_text()) if stamp.is_file() and weights.is_file() else None
    if trained is not None and trained["settings"] == settings:
        print(f"supervised oracle: reused {weights}", flush=True)
    else:
        t0 = time.perf_counter()
        state, losses = train_oracle(pairs, args.init, args.steps, args.lr, args.batch, args.seed)
        if not all(math.isfinite(x) for x in losses):
            raise SystemExit("supervised oracle: the loss became non-finite")
        k = max(1, min(50, len(losses) // 5))
        trained = {"settings": settings, "minutes": (time.perf_counter() - t0) / 60, "threads": args.threads,
                   "loss_first": float(np.mean(losses[:k])), "loss_last": float(np.mean(losses[-k:]))}
        save_weights(state, weights, {"architecture": fte.ARCH, "source": "benchmarks/level_oracle.py",
                                      "settings": settings}, force=True)
        stamp.write_text(json.dumps(trained, indent=2) + "\n")
    print(f"supervised oracle: {args.steps} steps in {trained['minutes']:.1f} min "
          f"({trained['threads']} threads), loss {trained['loss_first']:.3f} -> {trained['loss_last']:.3f}",
          flush=True)
    models = {"start": args.init, **dict(args.model), "oracle (supervised, the truth)": weights}
    rows = {name: describe(args.data, pairs, w, args.threads) for name, w in models.items()}
    print(f"\n{args.data.name}, test split; torch {torch.__version__}, {args.threads} threads, "
          f"seed {args.seed}")
    print("| model | metric abs_rel | median-scaled | best factor -> abs_rel | median depth per scene | "
          "correlation with truth | photometric factor |")
    print("|---|---|---|---|---|---|---|")
    for name, r in rows.items():
        lo, hi = min(r["predicted_medians"]), max(r["predicted_medians"])
        print(f"| {name} | {r['metric_abs_rel']:.3f} | {r['median_abs_rel']:.3f} | {r['best_factor']:.3f} -> "
              f"{r['abs_rel_at_best']:.3f} | {lo:.1f}-{hi:.1f} m | {r['median_depth_correlation']:+.2f} | "
              f"{r['photometric_factor']:.2f} |")
    truth = rows["start"]["true_medians"]
    print(f"| truth | | | | {min(truth):.1f}-{max(truth):.1f} m | | |")
    (args.out / "result.json").write_text(json.dumps(
        {"oracle": trained, "rows": rows, "threads": args.threads, "torch": torch.__version__},
        indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
