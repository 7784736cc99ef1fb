"""How fast panoconv can get on this CPU: oneDNN's own per-primitive times, PyTorch vs TF graph mode.

Both frameworks run their convolutions through oneDNN. This script runs each predict route (or, with
`--train`, each training step of `bench_train_step.py`) in a fresh
process with `ONEDNN_VERBOSE=1`, sums the execution times oneDNN reports per primitive kind
(convolution, weight reorder, matmul, ...) and per implementation (e.g. `brg_conv_fwd:avx512_core`), and
measures the routes' wall times in a separate process without verbose output (interleaved rounds,
medians, as `bench_predict.py`).

The column that decides the float32 and bfloat16 targets is the **ceiling**: TF graph mode's wall time
divided by the route's oneDNN convolution time. It is the speed-up over TF graph mode the route would
reach if everything other than its convolutions (ELU, weight reorders, upsampling, concatenation,
Python; in training also the loss, the warps and Adam) cost nothing. A target above the ceiling cannot
be met with these convolution kernels; it needs faster convolutions than the ones TF calls.

    python benchmarks/onednn_bound.py [--threads 1] [--cases rect,pano] [--calls 3] [--repeats 7]
    python benchmarks/onednn_bound.py --train [--batch 2] [--threads 1]   # forward + backward + Adam
"""

from __future__ import annotations

import argparse
import collections
import ctypes
import json
import os
import subprocess
import sys

import _common as common
import bench_predict as bp
import bench_train_step as bt

ROUTES = ("tf_graph", "panoconv_fp32", "panoconv_bf16")
MARK = "@@measured-calls@@"
TRAIN_SIZE, TRAIN_WARP = (256, 512), "rectilinear"  # the training step, in the verbose and the wall-time run


def _flush_c_stdout() -> None:
    """oneDNN prints through C stdio; flush it so the marker lands between warm-up and measured calls."""
    ctypes.CDLL(None).fflush(None)


def _route_fn(case: str, route: str, threads: int):
    """One call of `route`: a predict case of bench_predict, or `train-B` (a training step of
    bench_train_step at batch B, `TRAIN_SIZE`, `TRAIN_WARP`)."""
    if case.startswith("train-"):
        from panoconv.tf_reference.checkpoint import seeded_weights

        common.set_threads(threads)
        left, right = bt._inputs(int(case.split("-")[1]), *TRAIN_SIZE)
        return bt._make(route, left, right, seeded_weights(0), TRAIN_WARP)
    values, model = bp._setup(threads)
    _, _, camera, pp = bp.CASES[case]
    return bp._routes(values, model, bp._image(case), camera, pp, [route])[route]


def verbose_worker(case: str, route: str, threads: int, calls: int) -> None:
    """Run one route `calls` times after two warm-up calls, the marker printed in between (stdout)."""
    fn = _route_fn(case, route, threads)
    fn(), fn()
    _flush_c_stdout()
    os.write(1, f"{MARK}\n".encode())
    for _ in range(calls):
        fn()
    _flush_c_stdout()


def parse_verbose(text: str, calls: int) -> dict:
    """oneDNN `exec` lines after the marker -> ms per call by primitive kind and the implementations."""
    kinds: dict[str, float] = collections.defaultdict(float)
    impls: dict[str, set[str]] = collections.defaultdict(set)
    seen = False
    for line in text.splitlines():
        if line.startswith(MARK):
            seen = True
            continue
        parts = line.split(",")
        if not seen or len(parts) < 10 or parts[0] != "onednn_verbose" or parts[2:4] != ["primitive", "exec"]:
            continue
        kinds[parts[5]] += float(parts[-1]) / calls
        impls[parts[5]].add(parts[6])
    if not seen:
        raise SystemExit("onednn_bound: the verbose worker printed no marker (did it crash?)")
    return {"ms": dict(kinds), "implementations": {k: sorted(v) for k, v in impls.items()}}


def run_verbose(case: str, route: str, threads: int, calls: int) -> dict:
    env = dict(os.environ, ONEDNN_VERBOSE="1", OMP_NUM_THREADS=str(threads))
    done = subprocess.run([sys.executable, __file__, "--verbose-of", f"{case}:{route}", "--threads",
                           str(threads), "--calls", str(calls)], env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"onednn_bound: worker {case}:{route} failed:\n{done.stderr[-2000:]}")
    return parse_verbose(done.stdout, calls)


def ceiling_rows(wall: dict[str, float], primitives: dict[str, dict]) -> list[dict]:
    """One row per route: wall ms, ratio to TF graph mode, oneDNN ms by kind, and the ceiling."""
    rows = []
    for route, prim in primitives.items():
        conv = prim["ms"].get("convolution", 0.0)
        rows.append({"route": route, "wall_ms": wall[route] * 1e3, "ratio": wall["tf_graph"] / wall[route],
                     "onednn_ms": prim["ms"], "conv_ms": conv,
                     "ceiling": wall["tf_graph"] * 1e3 / conv if conv else float("inf"),
                     "conv_impls": prim["implementations"].get("convolution", [])})
    return rows


def print_table(case: str, threads: int, rows: list[dict]) -> None:
    title = (f"training step, batch {case.split('-')[1]}, {TRAIN_SIZE[0]}x{TRAIN_SIZE[1]} {TRAIN_WARP} "
             "(forward, backward, Adam)"
             if case.startswith("train-") else bp.CASES[case][0])
    print(f"\n{title}, {threads} thread(s): ms per call; ratio and ceiling relative to TF graph mode "
          "(tf.function, weights as variables) = 1.00x")
    head = (f"{'route':15} {'wall':>8} {'ratio':>6} {'conv':>8} {'reorder':>8} {'other':>8} "
            f"{'ceiling':>8}  convolution implementations")
    print(head)
    print("-" * len(head))
    for r in rows:
        other = sum(v for k, v in r["onednn_ms"].items() if k not in ("convolution", "reorder"))
        print(f"{r['route']:15} {r['wall_ms']:8.1f} {r['ratio']:5.2f}x {r['conv_ms']:8.1f} "
              f"{r['onednn_ms'].get('reorder', 0.0):8.1f} {other:8.1f} {r['ceiling']:7.2f}x  "
              f"{', '.join(r['conv_impls'])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--cases", default="rect,pano", help=f"comma list of {', '.join(bp.CASES)}")
    parser.add_argument("--calls", type=int, default=3, help="measured calls per verbose worker")
    parser.add_argument("--repeats", type=int, default=7, help="interleaved wall-time rounds (median)")
    parser.add_argument("--train", action="store_true", help="training steps instead of predict")
    parser.add_argument("--batch", type=int, default=2, help="training batch (with --train) [2]")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--verbose-of", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.verbose_of is not None:
        verbose_worker(*args.verbose_of.split(":"), args.threads, args.calls)
        return
    load_before = os.getloadavg()[0]
    if args.train:
        cases = [f"train-{args.batch}"]
        wall_runs = common.run_workers(bt.__file__, [args.threads], [
            f"--batch={args.batch}", "--height", str(TRAIN_SIZE[0]), "--width", str(TRAIN_SIZE[1]), "--warp",
            TRAIN_WARP, "--repeat", str(args.repeats), "--routes", ",".join(ROUTES)])
    else:
        cases = args.cases.split(",")
        wall_runs = common.run_workers(bp.__file__, [args.threads], ["--repeats", str(args.repeats),
                                                                     "--cases", args.cases, "--routes",
                                                                     ",".join(ROUTES)])
    report = {"threads": args.threads, "onednn": wall_runs[0]["onednn"], "torch": wall_runs[0]["torch"],
              "tensorflow": wall_runs[0]["tensorflow"], "cases": {}}
    for case, wall_row in zip(cases, wall_runs[0]["rows"], strict=True):
        primitives = {route: run_verbose(case, route, args.threads, args.calls) for route in ROUTES}
        rows = ceiling_rows(wall_row["seconds"], primitives)
        report["cases"][case] = rows
        if not args.json:
            print_table(case, args.threads, rows)
    report["load"] = common.load_line(load_before)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"\n{report['load']}; torch {report['torch']}, tensorflow {report['tensorflow']}, "
              f"oneDNN setting {report['onednn']}")


if __name__ == "__main__":
    main()
