"""Training-step time (forward + backward + Adam update) of panoconv vs TensorFlow graph mode, same run.

Same batch, same weights. Baseline: TF's reference network + loss over `tf.Variable`s with
`tf.compat.v1.train.AdamOptimizer`, the whole step in one `tf.function` (how TF2 code trains). Extra
columns: the same step in TF eager, and panoconv under bf16 autocast (the network in bfloat16, the loss
in float32, as `train --precision bf16`). PyTorch: `monodepth_loss` + `TF1Adam`, channels_last as the
trainer runs it. Steps of all routes are interleaved (one step each per round, order rotating), median
of `--repeat` rounds after `--warmup`; one process per thread count, the same count for both frameworks;
the load average is printed. `--memory` adds each route's peak memory growth, alone in a fresh process.

    python benchmarks/bench_train_step.py [--batch 2 --batch 8] [--threads 1,2] [--warp equirectangular]
"""

from __future__ import annotations

import argparse
import json
import os

import _common as common
import numpy as np

ROUTES = ("tf_graph", "tf_eager", "panoconv_fp32", "panoconv_bf16")
BASELINE = "tf_graph"


def torch_step(left, right, weights, warp, precision):
    import torch

    from panoconv.losses.monodepth import MonodepthLossConfig, monodepth_loss
    from panoconv.parity.weights import torch_model_from_tf
    from panoconv.runtime import autocast_forward
    from panoconv.training.optim import TF1Adam

    model = torch_model_from_tf(weights, torch.float32).train().to(memory_format=torch.channels_last)
    opt = TF1Adam(model.parameters(), lr=1e-4)
    config = MonodepthLossConfig(warp=warp)
    x_l, x_r = torch.from_numpy(left), torch.from_numpy(right)
    x_l_net = x_l.contiguous(memory_format=torch.channels_last)

    def step() -> float:
        opt.zero_grad(set_to_none=True)
        with autocast_forward(model, precision):
            out = monodepth_loss(model(x_l_net), x_l, x_r, config).total
        out.backward()
        opt.step()
        return float(out.detach())

    return step


def tf_step(left, right, weights, warp, graph: bool):
    from panoconv.tf_reference import training as tft

    tf = tft.tf
    params = tft.VariableParams(weights, "float32")
    opt = tft.adam(1e-4)
    x_l = tf.constant(left.transpose(0, 2, 3, 1))
    x_r = tf.constant(right.transpose(0, 2, 3, 1))

    def step():
        return tft.train_step(params, opt, x_l, x_r, mode=warp)["total"]

    fn = tf.function(step) if graph else step
    return lambda: float(fn().numpy())


def _make(route: str, left, right, weights, warp):
    if route.startswith("tf_"):
        return tf_step(left, right, weights, warp, graph=route == "tf_graph")
    return torch_step(left, right, weights, warp, route.split("_")[1])


def _inputs(batch: int, height: int, width: int):
    from panoconv.parity._synthetic import stereo_pair

    return tuple(x.astype(np.float32) for x in stereo_pair(0, batch, height, width))


def worker(threads: int, args: argparse.Namespace) -> dict:
    import torch

    from panoconv.tf_reference._tf import import_tf, onednn_setting
    from panoconv.tf_reference.checkpoint import seeded_weights

    common.set_threads(threads)
    weights = seeded_weights(0)
    rows = []
    for batch in args.batch or [2]:
        left, right = _inputs(batch, args.height, args.width)
        fns = {r: _make(r, left, right, weights, args.warp) for r in args.routes.split(",")}
        med = common.interleaved_medians(fns, args.repeat, args.warmup)
        rows.append({"batch": batch, "seconds": med,
                     "ratio_to_tf_graph": {n: med[BASELINE] / t for n,
                                           t in med.items()} if BASELINE in med else {}})
    return {"threads": threads, "rows": rows, "torch": torch.__version__,
            "tensorflow": import_tf().__version__, "onednn": onednn_setting()}


def memory_worker(args: argparse.Namespace, batch: int, route: str) -> float:
    from panoconv.tf_reference.checkpoint import seeded_weights

    common.set_threads(1)
    left, right = _inputs(batch, args.height, args.width)
    step = _make(route, left, right, seeded_weights(0), args.warp)
    return common.peak_growth_mib(lambda: (step(), step()))  # the second step holds the Adam slots


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, action="append", help="batch size(s); default 2")
    parser.add_argument("--height", type=int, default=256)
    parser.add_argument("--width", type=int, default=512)
    parser.add_argument("--warp", default="rectilinear", choices=["rectilinear", "equirectangular"])
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", default="1,2", help="comma list; each count runs in its own process")
    parser.add_argument("--routes", default=",".join(ROUTES), help=f"comma list of {', '.join(ROUTES)}")
    parser.add_argument("--memory", action="store_true", help="also peak memory per route (fresh processes)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--memory-of", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_of is not None:
        batch, route = args.memory_of.split(":")
        print(json.dumps({"mib": memory_worker(args, int(batch), route)}))
        return
    if args.worker is not None:
        print(json.dumps(worker(args.worker, args)))
        return
    load_before = os.getloadavg()[0]
    passthrough = [f"--batch={b}" for b in args.batch or [2]] + [
        "--height", str(args.height), "--width", str(args.width), "--warp", args.warp, "--warmup",
        str(args.warmup), "--repeat", str(args.repeat), "--routes", args.routes]
    runs = common.run_workers(__file__, [int(t) for t in args.threads.split(",")], passthrough)
    routes = args.routes.split(",")
    memory = {}
    if args.memory:
        for batch in args.batch or [2]:
            for route in routes:
                key = f"{batch}:{route}"
                memory[key] = common.memory_run(__file__, [*passthrough, "--memory-of", key])
    header = (f"training step {args.height}x{args.width}, warp {args.warp}: seconds per step (median of "
              f"{args.repeat} interleaved rounds after {args.warmup} warm-up) and speed relative to TF "
              "tf.function = 1.00x; memory: two steps, batch:route")
    common.report(runs, routes, memory, common.load_line(load_before), args.json, header, "batch", 5)


if __name__ == "__main__":
    main()
