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
from collections.abc import Callable

import _common as common
import numpy as np

CASES = {
    "rect": ("rectilinear 256x512", (256, 512), "rectilinear", False),
    "rect-pp": ("rectilinear 256x512 +postprocess", (256, 512), "rectilinear", True),
    "pano": ("panorama 2048x1024 (crop, ring, flip)", (1024, 2048), "equirectangular", False),
}
ROUTES = ("tf_graph", "tf_eager", "panoconv_fp32", "panoconv_bf16", "onnxruntime_fp32")
BASELINE = "tf_graph"


def _routes(values, model, image: np.ndarray, camera: str, pp: bool, names) -> dict[str,
                                                                                    Callable[[], object]]:
    from panoconv.inference.pipeline import predict_array
    from panoconv.tf_reference.predict import graph_predictor
    from panoconv.tf_reference.predict import predict_array as tf_predict_array

    make = {
        "tf_graph": lambda: (lambda g: lambda: g(image))(
            graph_predictor(values, image.shape[0], image.shape[1], camera, postprocess=pp)),
        "tf_eager": lambda: lambda: tf_predict_array(values, image, camera, postprocess=pp),
        "panoconv_fp32": lambda: lambda: predict_array(model, image, camera, postprocess=pp),
        "panoconv_bf16": lambda: lambda: predict_array(model, image, camera, postprocess=pp,
                                                       precision="bf16"),
        # the same pipeline with the network run by onnxruntime (the candidate `predict --backend`)
        "onnxruntime_fp32": lambda: (lambda net: lambda: predict_array(net, image, camera, postprocess=pp))(
            onnxruntime_network(model)),
    }
    return {name: make[name]() for name in names}


class _OnnxRuntimeNet:
    """The network written by `panoconv export` (ONNX, dynamic batch, height, width; one file per
    ring-padding state) and run by onnxruntime at the benchmark's thread count, with the attributes
    `predict_array` reads from a panoconv model."""

    def __init__(self, model, threads: int) -> None:
        import torch

        self.arch_name, self._model, self._threads = model.arch_name, model, threads
        self._param = torch.zeros(())
        self._sessions: dict[bool, object] = {}
        self.set_ring_pad(False)

    def set_ring_pad(self, on: bool) -> None:
        if on not in self._sessions:
            self._sessions[on] = self._export(on)
        self.exported = self._sessions[on]

    def _export(self, ring: bool):
        import tempfile
        from pathlib import Path

        from panoconv.export import ExportRequest, export, load_exported
        from panoconv.weights import save_weights

        with tempfile.TemporaryDirectory() as tmp:
            weights = save_weights(self._model.state_dict(), Path(tmp) / "w.safetensors",
                                   {"architecture": self.arch_name})
            path = export(ExportRequest(weights, Path(tmp) / "net.onnx", ring_pad=ring)).path
            return load_exported(path, threads=self._threads)

    def parameters(self):
        return iter([self._param])

    def __call__(self, x):
        import torch

        return [torch.from_numpy(o) for o in self.exported(x.numpy())]


def onnxruntime_network(model):
    import torch

    return _OnnxRuntimeNet(model, torch.get_num_threads())


def _setup(threads: int):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import torch

    from panoconv.parity.weights import torch_model_from_tf
    from panoconv.tf_reference.checkpoint import seeded_weights

    common.set_threads(threads)
    values = seeded_weights(0)
    # as `predict` runs it
    model = torch_model_from_tf(values, "float32").to(memory_format=torch.channels_last)
    return values, model


def _image(key: str) -> np.ndarray:
    _, (h, w), _, _ = CASES[key]
    return np.random.default_rng(0).random((h, w, 3), np.float32)


def worker(threads: int, repeats: int, cases: list[str], routes: list[str]) -> dict:
    import torch

    from panoconv.tf_reference._tf import import_tf, onednn_setting

    values, model = _setup(threads)
    rows = []
    for key in cases:
        title, _, camera, pp = CASES[key]
        med = common.interleaved_medians(_routes(values, model, _image(key), camera, pp, routes), repeats)
        rows.append({"case": title, "seconds": med,
                     "ratio_to_tf_graph": {n: med[BASELINE] / t for n,
                                           t in med.items()} if BASELINE in med else {}})
    return {"threads": threads, "rows": rows, "onednn": onednn_setting(), "torch": torch.__version__,
            "tensorflow": import_tf().__version__, "repeats": repeats}


def memory_worker(case: str, route: str) -> dict:
    """Peak memory growth of one route's first call (incl. tracing / warm-up), alone in this process."""
    values, model = _setup(1)
    _, _, camera, pp = CASES[case]
    fn = _routes(values, model, _image(case), camera, pp, [route])[route]
    return {"case": case, "route": route, "mib": common.peak_growth_mib(fn)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="interleaved rounds; the median is reported")
    parser.add_argument("--threads", default="1,2", help="comma list; each count runs in its own process")
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma list of {', '.join(CASES)}")
    parser.add_argument("--routes", default=",".join(ROUTES), help=f"comma list of {', '.join(ROUTES)}")
    parser.add_argument("--memory", action="store_true",
                        help="also peak memory of each route and case, each alone in a fresh process (slow)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--memory-of", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    cases, routes = args.cases.split(","), args.routes.split(",")
    if args.memory_of is not None:
        print(json.dumps(memory_worker(*args.memory_of.split(":"))))
        return
    if args.worker is not None:
        print(json.dumps(worker(args.worker, args.repeats, cases, routes)))
        return
    load_before = os.getloadavg()[0]
    runs = common.run_workers(__file__, [int(t) for t in args.threads.split(",")],
                              ["--repeats", str(args.repeats), "--cases", args.cases, "--routes",
                               args.routes])
    memory = {}
    if args.memory:
        for case in cases:
            for route in routes:
                memory[f"{case}:{route}"] = common.memory_run(__file__, ["--memory-of", f"{case}:{route}"])
    header = (f"predict, seconds per image (median of {args.repeats} interleaved rounds) and speed relative "
              "to TF graph mode (tf.function, weights as variables) = 1.00x")
    common.report(runs, routes, memory, common.load_line(load_before), args.json, header, "case", 38)


if __name__ == "__main__":
    main()
