"""Forward and training-step throughput of RectNet and UResNet on this CPU.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_omnidepth.py --height 256 --width 512 --batch 1

A training step is forward + multi-scale loss + backward + Adam step (the published recipe's optimizer).
Prints one table row per architecture: median seconds per forward / training step and images per second.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from panoconv.training.supervised_task import SupervisedTask


def _time(fn, repeats: int) -> float:
    """Median wall time of `fn()` over `repeats` runs after one warm-up."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench(arch: str, height: int, width: int, batch: int, repeats: int) -> dict[str, float]:
    torch.manual_seed(0)
    task = SupervisedTask(arch)
    model = task.build_model()
    optimizer = task.make_optimizer(model)
    data = {"image": torch.rand(batch, 3, height, width),
            "depth": torch.rand(batch, 1, height, width) * 7 + 0.5,
            "mask": torch.ones(batch, 1, height, width, dtype=torch.bool)}

    def forward() -> None:
        with torch.no_grad():
            model(data["image"])

    def train_step() -> None:
        loss = task.loss(model, data)
        optimizer.zero_grad(set_to_none=True)
        loss.total.backward()
        optimizer.step()

    model.eval()
    t_fwd = _time(forward, repeats)
    model.train()
    t_step = _time(train_step, repeats)
    params = sum(p.numel() for p in model.parameters())
    return {"params_m": params / 1e6, "fwd_s": t_fwd, "fwd_ips": batch / t_fwd,
            "step_s": t_step, "step_ips": batch / t_step}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--height", type=int, default=256)
    parser.add_argument("--width", type=int, default=512)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--arch", nargs="+", default=["rectnet", "uresnet"])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"# {args.height}x{args.width}, batch {args.batch}, {args.threads} thread(s), "
          f"torch {torch.__version__}, median of {args.repeats}")
    print(f"{'arch':<8} {'params':>8} {'fwd s/it':>9} {'fwd img/s':>10} {'step s/it':>10} {'step img/s':>11}")
    for arch in args.arch:
        r = bench(arch, args.height, args.width, args.batch, args.repeats)
        print(f"{arch:<8} {r['params_m']:>7.2f}M {r['fwd_s']:>9.3f} {r['fwd_ips']:>10.2f} "
              f"{r['step_s']:>10.3f} {r['step_ips']:>11.3f}")


if __name__ == "__main__":
    main()
