"""Shared by the benchmarks that compare with TensorFlow: one process per thread count (TF fixes its
pool at start-up), interleaved timing rounds with medians, the machine's load, and peak memory of one
route measured alone in a fresh process."""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable


def set_threads(threads: int) -> None:
    """The same intra-op thread count for both frameworks (before TF starts its runtime)."""
    import torch

    from panoconv.tf_reference._tf import import_tf

    tf = import_tf()
    torch.set_num_threads(threads)
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)


def interleaved_medians(fns: dict[str, Callable[[], object]], repeats: int, warmup: int = 2) -> dict[str,
                                                                                                     float]:
    """Median seconds per call of each route; each round runs every route once, the order rotating, so
    load from other processes hits all routes alike."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    order = list(fns)
    for r in range(repeats):
        for name in order[r % len(order):] + order[:r % len(order)]:
            t0 = time.perf_counter()
            fns[name]()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(t) for name, t in times.items()}


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_growth_mib(fn: Callable[[], object]) -> float:
    """Peak resident memory while running `fn` once, above the resident memory before it (MiB). Only
    meaningful in a process that ran nothing else big (see `run_workers(..., memory=True)`)."""
    before = rss_mib()
    fn()
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before


def run_workers(script: str, thread_counts: list[int], args: list[str]) -> list[dict]:
    """Run `script --worker N args` per thread count; each prints one JSON line last."""
    runs = []
    for threads in thread_counts:
        env = dict(os.environ, OMP_NUM_THREADS=str(threads))
        out = subprocess.run([sys.executable, script, "--worker", str(threads), *args], env=env, check=True,
                             capture_output=True, text=True).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
    return runs


def load_line(before: float) -> str:
    return f"load average {before:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"


def memory_run(script: str, args: list[str]) -> float:
    """Peak memory growth (MiB) that `script args --memory-of ...` measured alone in a fresh process."""
    out = subprocess.run([sys.executable, script, *args], check=True, capture_output=True, text=True).stdout
    return float(json.loads(out.strip().splitlines()[-1])["mib"])


def print_ratio_table(runs: list[dict], routes: list[str], label: str, width: int) -> None:
    """One line per (threads, row): seconds and ratio to TF graph mode for every route."""
    print(f"{'threads':>7} {label:{width}} " + " ".join(f"{r:>20}" for r in routes))
    for run in runs:
        for row in run["rows"]:
            cells = [f"{row['seconds'][r]:8.3f}s {row['ratio_to_tf_graph'].get(r, float('nan')):5.2f}x"
                     for r in routes]
            print(f"{run['threads']:>7} {row[label]!s:{width}} " + " ".join(f"{c:>20}" for c in cells))


def report(runs: list[dict], routes: list[str], memory: dict[str, float], load: str, as_json: bool,
           header: str, label: str, width: int) -> None:
    """JSON (`--json`), or the header line, the ratio table and the peak-memory line."""
    if as_json:
        print(json.dumps({"load": load, "runs": runs, "peak_growth_mib": memory}, indent=2))
        return
    first = runs[0]
    print(f"{header}; torch {first['torch']}, tensorflow {first['tensorflow']} (TF "
          f"oneDNN {first['onednn']}); {load}")
    print_ratio_table(runs, routes, label, width)
    if memory:
        print("peak memory growth (MiB; each route alone in a fresh process, 1 thread): "
              + ", ".join(f"{key} {mib:.0f}" for key, mib in memory.items()))
