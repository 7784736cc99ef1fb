"""One Adam update of the default card's 31.6M parameters: `TF1Adam` vs TF's `AdamOptimizer` in graph mode.

The optimizer is a fixed cost of every training step (memory-bound: a few passes over four
parameter-sized tensors), so it is measured on its own. Baseline: `tf.compat.v1.train.AdamOptimizer`
applying fixed gradients to the `tf.Variable` weights inside one `tf.function` (TF's fused
`ResourceApplyAdam` kernel). panoconv: `TF1Adam.step()` on channels_last parameters with the same fixed
gradients, as the trainer runs it. Both routes interleaved, median of `--repeats` rounds after one
warm-up update (which creates the slots); one process per thread count, the same count for both.

    python benchmarks/bench_adam.py [--threads 1,2] [--repeats 9]
"""

from __future__ import annotations

import argparse
import json
import os

import _common as common
import numpy as np

ROUTES = ("tf_graph", "panoconv")


def _grads(values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {k: (rng.standard_normal(v.shape) * 1e-3).astype(np.float32) for k, v in values.items()}


def _tf_route(values, grads):
    from panoconv.tf_reference import training as tft

    tf = tft.tf
    params = tft.VariableParams(values, "float32")
    opt = tft.adam(1e-4)
    pairs = [(tf.constant(grads[n]), v) for n, v in params.variables.items()]

    @tf.function
    def apply():
        opt.apply_gradients(pairs)

    return apply


def _torch_route(values, grads):
    import torch

    from panoconv.parity.weights import torch_model_from_tf
    from panoconv.training.optim import TF1Adam

    def model_of(arrays):
        return torch_model_from_tf(arrays, torch.float32).to(memory_format=torch.channels_last)

    model = model_of(values)
    # the same gradient values in PyTorch's layout: mapped like weights
    for p, g in zip(model.parameters(), model_of(grads).parameters(), strict=True):
        p.grad = g.detach()
    return TF1Adam(model.parameters(), lr=1e-4).step


def worker(threads: int, repeats: int) -> dict:
    import torch

    from panoconv.tf_reference._tf import import_tf, onednn_setting
    from panoconv.tf_reference.checkpoint import seeded_weights

    common.set_threads(threads)
    values = seeded_weights(0)
    grads = _grads(values)
    fns = {"tf_graph": _tf_route(values, grads), "panoconv": _torch_route(values, grads)}
    med = common.interleaved_medians(fns, repeats, warmup=1)
    row = {"case": f"Adam update, {sum(v.size for v in values.values())} parameters", "seconds": med,
           "ratio_to_tf_graph": {n: med["tf_graph"] / t for n, t in med.items()}}
    return {"threads": threads, "rows": [row], "torch": torch.__version__,
            "tensorflow": import_tf().__version__, "onednn": onednn_setting()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2", help="comma list; each count runs in its own process")
    parser.add_argument("--repeats", type=int, default=9, help="interleaved rounds; the median is reported")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        print(json.dumps(worker(args.worker, args.repeats)))
        return
    load_before = os.getloadavg()[0]
    runs = common.run_workers(__file__, [int(t) for t in args.threads.split(",")],
                              ["--repeats", str(args.repeats)])
    header = (f"Adam update, seconds (median of {args.repeats} interleaved rounds) and speed relative to TF "
              "graph mode (tf.function over AdamOptimizer.apply_gradients) = 1.00x")
    common.report(runs, list(ROUTES), {}, common.load_line(load_before), args.json, header, "case", 38)


if __name__ == "__main__":
    main()
