"""Does bfloat16 training follow float32's loss curve? 200 steps on synthetic stereo data, same seed, both.

Issue 11's target: the bf16 loss curve within 2% of float32's. The script renders a small `panoconv synth`
set, trains the default monodepth card twice from the same initialisation and data order (fp32, then bf16
autocast), and prints the mean total loss per window of steps, the relative difference per window, the
wall time of each run and the machine's load. No TensorFlow: this compares PyTorch with itself.
Run: `.venv/bin/python benchmarks/bf16_loss_curve.py [--steps 200 --size 128x256 --threads 1]`.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--size", default="128x256", help="HxW (multiples of 128)")
    parser.add_argument("--scenes", type=int, default=24)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--window", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="work folder [default: a temporary one]")
    args = parser.parse_args()
    height, width = (int(v) for v in args.size.split("x"))

    import torch

    from panoconv.data.synth import SynthRequest, generate
    from panoconv.training import DataSpec, TrainConfig, train

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        work = args.out or Path(tmp)
        data = work / "synth"
        generate(SynthRequest(out=data, kind="rectilinear", count=args.scenes, height=height,
                              width=width, seed=args.seed, val_fraction=0.0, test_fraction=0.0,
                              progress=False, force=True))
        spec = DataSpec(str(data / "train.txt"), str(data), warp="rectilinear")
        per_epoch = args.scenes // args.batch
        curves, seconds = {}, {}
        for precision in ("fp32", "bf16"):
            config = TrainConfig(data=(spec,), task="stereo", lr=1e-4, batch_size=args.batch,
                                 epochs=-(-args.steps // per_epoch), height=height, width=width,
                                 seed=args.seed,
                                 augment=False, out=str(work / precision), max_steps=args.steps,
                                 snapshot_every=10**9, snapshot_minutes=None, threads=args.threads,
                                 log_every=10**9, image_every=10**9, progress=False, force=True,
                                 precision=precision)
            start = time.perf_counter()
            curves[precision] = train(config).losses
            seconds[precision] = time.perf_counter() - start

    load = os.getloadavg()
    print(f"bf16 vs fp32 training loss, {args.steps} steps, {height}x{width}, batch {args.batch}, "
          f"{args.threads} thread(s), seed {args.seed}; load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
          f"torch {torch.__version__}, oneDNN {'on' if torch.backends.mkldnn.is_available() else 'off'}")
    print(f"{'steps':>11}  {'fp32 loss':>10}  {'bf16 loss':>10}  {'rel diff':>9}")
    worst = 0.0
    for lo in range(0, args.steps, args.window):
        hi = min(lo + args.window, args.steps)
        a = sum(curves["fp32"][lo:hi]) / (hi - lo)
        b = sum(curves["bf16"][lo:hi]) / (hi - lo)
        rel = abs(b - a) / abs(a)
        worst = max(worst, rel)
        print(f"{lo + 1:>5}-{hi:<5}  {a:10.5f}  {b:10.5f}  {100 * rel:8.3f}%")
    print(f"worst window {100 * worst:.3f}% (target <= 2%); wall fp32 {seconds['fp32']:.1f} s, "
          f"bf16 {seconds['bf16']:.1f} s ({seconds['fp32'] / seconds['bf16']:.2f}x)")


if __name__ == "__main__":
    main()
