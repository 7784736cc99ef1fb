"""Predict throughput: panoconv (PyTorch) vs TensorFlow graph mode, same weights, same run, ratios.

Baseline: the TF pipeline as a TF user runs it, one `tf.function` over `tf.Variable` weights
(`tf_reference.predict.graph_predictor`; grappler fuses Conv+BiasAdd+ELU). TF eager with the weights
re-created as constants on every call (`tf_reference.predict.predict_array`, what this script used to
compare against) is an extra column only. Routes are timed interleaved (one call of each route per
round, the order rotating every round) and the median of the rounds is reported, so load from other
processes on a shared machine hits every route alike; the 1-minute load average is printed before and
after. Each thread count runs in its own process (TF fixes its pool at start-up); both frameworks get
the same count. Cases: 256 x 512 rectilinear (plain, and with monodepth post-processing) and a
2048 x 1024 panorama through the whole recipe (crop, Lanczos resize, pad, ring padding, flip, resize back).

    python benchmarks/bench_predict.py [--threads 1,2] [--repeats 7] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from typing import Callable

import numpy as np

CASES = {
    "rect": ("rectilinear 256x512", (256, 512), "rectilinear", False),
    "rect-pp": ("rectilinear 256x512 +postprocess", (256, 512), "rectilinear", True),
    "pano": ("panorama 2048x1024 (crop, ring, flip)", (1024, 2048), "equirectangular", False),
}
ROUTES = ("tf_graph", "tf_eager", "panoconv_fp32", "panoconv_bf16")
BASELINE = "tf_graph"


def _routes(values, model, image: np.ndarray, camera: str, pp: bool, names) -> dict[str, Callable[[], object]]:
    from panoconv.inference.pipeline import predict_array
    from panoconv.tf_reference.predict import graph_predictor
    from panoconv.tf_reference.predict import predict_array as tf_predict_array

    make = {
        "tf_graph": lambda: (lambda g: lambda: g(image))(
            graph_predictor(values, image.shape[0], image.shape[1], camera, postprocess=pp)),
        "tf_eager": lambda: lambda: tf_predict_array(values, image, camera, postprocess=pp),
        "panoconv_fp32": lambda: lambda: predict_array(model, image, camera, postprocess=pp),
        "panoconv_bf16": lambda: lambda: predict_array(model, image, camera, postprocess=pp, precision="bf16"),
    }
    return {name: make[name]() for name in names}


def worker(threads: int, repeats: int, cases: list[str], routes: list[str]) -> dict:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import torch

    from panoconv.parity.weights import torch_model_from_tf
    from panoconv.tf_reference._tf import import_tf, onednn_setting
    from panoconv.tf_reference.checkpoint import seeded_weights

    tf = import_tf()
    torch.set_num_threads(threads)
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    values = seeded_weights(0)
    model = torch_model_from_tf(values, "float32").to(memory_format=torch.channels_last)  # as `predict` runs it
    rng = np.random.default_rng(0)
    rows = []
    for key in cases:
        title, (h, w), camera, pp = CASES[key]
        image = rng.random((h, w, 3), np.float32)
        fns = _routes(values, model, image, camera, pp, routes)
        for fn in fns.values():  # warm-up: tracing, allocator, oneDNN primitive caches
            fn()
            fn()
        times: dict[str, list[float]] = {name: [] for name in fns}
        order = list(fns)
        for r in range(repeats):
            for name in order[r % len(order):] + order[:r % len(order)]:
                t0 = time.perf_counter()
                fns[name]()
                times[name].append(time.perf_counter() - t0)
        med = {name: statistics.median(t) for name, t in times.items()}
        rows.append({"case": title, "seconds": med,
                     "ratio_to_tf_graph": {n: med[BASELINE] / t for n, t in med.items()} if BASELINE in med else {}})
    return {"threads": threads, "rows": rows, "onednn": onednn_setting(), "torch": torch.__version__,
            "tensorflow": tf.__version__, "repeats": repeats,
            "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="interleaved rounds; the median is reported")
    parser.add_argument("--threads", default="1,2", help="comma list; each count runs in its own process")
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma list of {', '.join(CASES)}")
    parser.add_argument("--routes", default=",".join(ROUTES), help=f"comma list of {', '.join(ROUTES)}")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    cases, routes = args.cases.split(","), args.routes.split(",")
    if args.worker is not None:
        print(json.dumps(worker(args.worker, args.repeats, cases, routes)))
        return
    load_before = os.getloadavg()[0]
    runs = []
    for threads in (int(t) for t in args.threads.split(",")):
        env = dict(os.environ, OMP_NUM_THREADS=str(threads))
        cmd = [sys.executable, __file__, "--worker", str(threads), "--repeats", str(args.repeats),
               "--cases", args.cases, "--routes", args.routes]
        out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
    load = {"load_1min_before": load_before, "load_1min_after": os.getloadavg()[0], "cpus": os.cpu_count()}
    if args.json:
        print(json.dumps({"load": load, "runs": runs}, indent=2))
        return
    first = runs[0]
    print(f"predict, seconds per image (median of {args.repeats} interleaved rounds) and speed relative to "
          f"TF graph mode (tf.function, weights as variables) = 1.00x; torch {first['torch']}, tensorflow "
          f"{first['tensorflow']}, TF oneDNN {first['onednn']}; load average {load['load_1min_before']:.1f} -> "
          f"{load['load_1min_after']:.1f} on {load['cpus']} CPUs")
    print(f"{'threads':>7} {'case':38} " + " ".join(f"{r:>20}" for r in routes))
    for run in runs:
        for row in run["rows"]:
            cells = [f"{row['seconds'][r]:8.3f}s {row['ratio_to_tf_graph'].get(r, float('nan')):5.2f}x" for r in routes]
            print(f"{run['threads']:>7} {row['case']:38} " + " ".join(f"{c:>20}" for c in cells))


if __name__ == "__main__":
    main()
