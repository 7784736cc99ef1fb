"""Train RectNet and UResNet briefly on synthetic 3D60-layout panoramas; compare held-out metrics to
untrained.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/omnidepth_train_eval.py --seconds 150 --height 64 \
        --width 128

Data: `panoconv synth --kind panorama` scenes (generated into --out unless --data points at an existing set),
trained on `3d60_train.txt`, evaluated on `3d60_test.txt` with the OmniDepth protocol (per-image median
scaling on valid pixels, `evaluate_supervised`). Training uses `SupervisedTask` (published loss weights,
Adam with biases at 2x lr, StepLR, rotation augmentation) for a wall-clock budget per architecture.
Prints a table: architecture, state (untrained / trained), optimisation steps, metrics, plus a constant-depth
baseline row (median-scaled), which an untrained net can be far worse than (its raw outputs straddle 0).
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from panoconv.evaluation.metrics import METRIC_NAMES, DepthMetrics
from panoconv.training.config import DataSpec
from panoconv.training.supervised_task import SupervisedRecipe, SupervisedTask, evaluate_supervised


def ensure_data(args: argparse.Namespace) -> Path:
    if args.data is not None:
        return args.data
    from panoconv.data.synth import SynthRequest, generate

    out = args.out / f"pano_{args.count}_{args.height}x{args.width}_s{args.seed}"
    if (out / "3d60_train.txt").is_file():
        return out
    return generate(SynthRequest(out=out, kind="panorama", count=args.count, height=args.height,
                                 width=args.width, seed=args.seed, val_fraction=0.1, test_fraction=0.15,
                                 progress=False))


def train_for(task: SupervisedTask, model: torch.nn.Module, train_set, seconds: float, batch: int) -> int:
    """Train until `seconds` of wall time have passed (whole steps); return the number of steps."""
    loader_len = -(-len(train_set) // batch)
    optimizer = task.make_optimizer(model)
    scheduler = task.make_scheduler(optimizer, loader_len)
    model.train()
    steps, epoch, start = 0, 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        train_set.set_epoch(epoch)
        gen = torch.Generator().manual_seed(epoch)
        for sample in DataLoader(train_set, batch_size=batch, shuffle=True, generator=gen, drop_last=False):
            loss = task.loss(model, sample)
            optimizer.zero_grad(set_to_none=True)
            loss.total.backward()
            optimizer.step()
            scheduler.step()
            steps += 1
            if steps % 20 == 0:
                logging.info("step %d epoch %d loss %.4f", steps, epoch, float(loss.total.detach()))
            if time.perf_counter() - start >= seconds:
                break
        epoch += 1
    return steps


class ConstantDepth(torch.nn.Module):
    """Trivial baseline: predicts 1 m everywhere (after median scaling: the median gt depth of each image)."""

    def __init__(self) -> None:
        super().__init__()
        self.dummy = torch.nn.Parameter(torch.zeros(()))

    def forward(self, image: torch.Tensor) -> list[torch.Tensor]:
        return [torch.ones_like(image[:, :1])]


def row(arch: str, state: str, steps: int, seconds: float, m: DepthMetrics) -> str:
    return (f"{arch:<8} {state:<9} {steps:>6} {seconds:>6.0f} "
            + " ".join(f"{getattr(m, k):>8.4f}" for k in METRIC_NAMES))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="existing 3D60-layout synth directory")
    parser.add_argument("--out", type=Path, default=Path("/tmp/panoconv_omnidepth_bench"))
    parser.add_argument("--count", type=int, default=60, help="synthetic scenes to generate")
    parser.add_argument("--height", type=int, default=64)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--seconds", type=float, default=150.0, help="training wall time per architecture")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--lr", type=float, default=SupervisedRecipe.lr)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--arch", nargs="+", default=["rectnet", "uresnet"])
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(args.threads)
    root = ensure_data(args)
    lines = [f"# data {root} at {args.height}x{args.width}, batch {args.batch}, lr {args.lr}, "
             f"{args.seconds:.0f} s per arch, {args.threads} thread(s)",
             f"{'arch':<8} {'state':<9} {'steps':>6} {'sec':>6} " + " ".join(f"{k:>8}" for k in METRIC_NAMES)]
    test_split = DataSpec(str(root / "3d60_test.txt"))
    baseline_set = SupervisedTask(size=(args.height, args.width)).build_dataset(test_split, training=False)
    lines.append(row("constant", "baseline", 0, 0, evaluate_supervised(ConstantDepth(), baseline_set)))
    for arch in args.arch:
        torch.manual_seed(args.seed)
        task = SupervisedTask(arch, recipe=SupervisedRecipe(lr=args.lr), size=(args.height, args.width),
                              rotate=True, seed=args.seed)
        train_set = task.build_dataset(DataSpec(str(root / "3d60_train.txt")), training=True)
        test_set = task.build_dataset(test_split, training=False)
        model = task.build_model()
        lines.append(row(arch, "untrained", 0, 0, evaluate_supervised(model, test_set)))
        start = time.perf_counter()
        steps = train_for(task, model, train_set, args.seconds, args.batch)
        elapsed = time.perf_counter() - start
        lines.append(row(arch, "trained", steps, elapsed, evaluate_supervised(model, test_set)))
        logging.info("%s: %d train / %d test images", arch, len(train_set), len(test_set))
        train_set.report()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
