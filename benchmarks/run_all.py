"""Run every benchmark in turn (`make bench`); each prints its own table comparing panoconv with the
TensorFlow reference in the same run, as ratios. Pass-through: `python benchmarks/run_all.py --quick`
uses fewer repeats."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = [
    ("extract throughput and peak memory vs copying the .data file", "bench_extract.py", [], []),
    ("training step, panoconv vs TF graph mode", "bench_train_step.py", ["--batch", "2", "--batch", "8"],
     ["--repeat", "2", "--threads", "1"]),
    ("predict throughput, panoconv vs TF graph mode", "bench_predict.py", ["--repeats", "7"],
     ["--repeats", "2", "--threads", "1"]),
    ("OmniDepth RectNet / UResNet throughput (PyTorch only: no TF original)", "bench_omnidepth.py", [],
     ["--repeats", "1"]),
    ("3D60 loading + resizing, panoconv vs OmniDepth-PyTorch-style loading", "bench_3d60_loading.py", [],
     ["--samples", "30"]),
    ("CUDA readiness (parity, predict, 20 train steps per precision; says so without CUDA)", "gpu_check.py",
     [], ["--steps", "5", "--repeats", "3"]),
]


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    failed = []
    for title, script, args, quick_args in BENCHMARKS:
        print(f"\n=== {title} ({script})", flush=True)
        code = subprocess.call([sys.executable, str(HERE / script), *(quick_args if quick else args)])
        if code:
            failed.append(script)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
