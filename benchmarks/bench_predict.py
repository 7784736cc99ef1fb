"""Predict throughput: panoconv (PyTorch) vs the TensorFlow reference pipeline, same weights, same run.

Cases: a 256 x 512 rectilinear image (plain, and with monodepth post-processing) and a 2048 x 1024
panorama through the full recipe (crop, Lanczos resize, pad, ring padding, flip averaging, resize
back). Both sides run one image per call through their `predict_array`; the TF side is eager and
feeds the weights as constants on every call (as `tf_reference.predict` does). Thread counts are
set equal on both sides (default 1, for a shared machine).

    OMP_NUM_THREADS=1 python benchmarks/bench_predict.py [--repeats 3] [--threads 1] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Callable

import numpy as np


def _time(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up (graph tracing, allocator)
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return repeats / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import torch

    from panoconv.inference.pipeline import predict_array
    from panoconv.parity.weights import torch_model_from_tf
    from panoconv.tf_reference._tf import import_tf, onednn_setting

    tf = import_tf()
    torch.set_num_threads(args.threads)
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from panoconv.tf_reference.checkpoint import seeded_weights
    from panoconv.tf_reference.predict import predict_array as tf_predict_array

    values = seeded_weights(0)
    model = torch_model_from_tf(values, "float32").to(memory_format=torch.channels_last)  # as `predict` runs it
    rng = np.random.default_rng(0)
    cases = [("rectilinear 256x512", rng.random((256, 512, 3), np.float32), "rectilinear", False),
             ("rectilinear 256x512 +postprocess", rng.random((256, 512, 3), np.float32), "rectilinear", True),
             ("panorama 2048x1024 (flip, ring)", rng.random((1024, 2048, 3), np.float32), "equirectangular", False)]
    rows = []
    for name, image, camera, pp in cases:
        ours = _time(lambda: predict_array(model, image, camera, postprocess=pp), args.repeats)
        ref = _time(lambda: tf_predict_array(values, image, camera, postprocess=pp), args.repeats)
        rows.append({"case": name, "panoconv_img_s": ours, "tf_reference_img_s": ref, "ratio": ours / ref})
    env = {"threads": args.threads, "onednn": onednn_setting(), "torch": torch.__version__,
           "tensorflow": tf.__version__, "repeats": args.repeats}
    if args.json:
        print(json.dumps({"environment": env, "rows": rows}, indent=2))
        return
    print("predict throughput (images/s), " + ", ".join(f"{k}={v}" for k, v in env.items()))
    print(f"{'case':34} {'panoconv':>9} {'tf ref':>9} {'ratio':>6}")
    for r in rows:
        print(f"{r['case']:34} {r['panoconv_img_s']:9.3f} {r['tf_reference_img_s']:9.3f} {r['ratio']:6.2f}x")


if __name__ == "__main__":
    main()
