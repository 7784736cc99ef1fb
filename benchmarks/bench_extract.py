"""Speed and peak memory of `panoconv extract` on upstream-sized checkpoints (with Adam state).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_extract.py [--arch monodepth-vgg ...] [--keep DIR]

Per card (default: monodepth-vgg, ~380 MB with Adam, and monodepth-resnet50, ~700 MB), writes a seeded
checkpoint with optimizer state in a temporary folder, then compares
copying its `.data` file with reading it alone (every tensor streamed and CRC-checked, nothing written)
and with `extract` (folder layout; default and --include-optimizer). Each
extract runs in a fresh subprocess that imports panoconv first; memory is reported as tracemalloc's
peak and as the growth of peak RSS over that post-import baseline (the high-water mark is reset via
/proc/self/clear_refs; ru_maxrss where that is unavailable), next to the largest tensor.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_CHILD = r"""
import json, resource, sys, time, tracemalloc
from pathlib import Path
from panoconv.weights.store import ExtractRequest, extract
from panoconv.readers import open_checkpoint
ckpt, out, include = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == "1"
largest = max(t.dtype.itemsize * __import__("math").prod(t.shape) for t in open_checkpoint(ckpt).tensors())
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
try:  # reset the RSS high-water mark so that import-time peaks do not hide extract's own peak
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    reset = True
except OSError:
    reset = False
base = status("VmRSS") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
tracemalloc.start()
start = time.perf_counter()
if sys.argv[3] == "read":  # the reader alone: every tensor streamed (CRC checked) into a discarding sink
    reader, total = open_checkpoint(ckpt), [0]
    for info in reader.tensors():
        reader.stream(info.name, lambda chunk: total.__setitem__(0, total[0] + len(chunk)))
    written = total[0]
else:
    written = extract(ExtractRequest(ckpt, out, include_optimizer=include, force=True),
                      progress=False).total_bytes
seconds = time.perf_counter() - start
_, peak = tracemalloc.get_traced_memory()
rss = (status("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024) - base
print(json.dumps({"seconds": seconds, "tracemalloc_peak": peak, "rss_growth": rss,
                  "largest_tensor": largest, "bytes_written": written}))
"""


def _make_checkpoint(folder: Path, arch: str) -> Path:
    from panoconv.tf_reference.checkpoint import CheckpointSpec, make_checkpoint

    return make_checkpoint(CheckpointSpec(folder / "model", seed=0, step=180000, with_optimizer=True,
                                          architecture=arch))


def _copy_seconds(src: Path, dst: Path) -> float:
    start = time.perf_counter()
    shutil.copyfile(src, dst)
    with open(dst, "rb+") as f:
        os.fsync(f.fileno())
    return time.perf_counter() - start


def _extract(prefix: Path, out: Path, include: bool | str) -> dict:
    """One extract (`include`: with optimizer state) or, for "read", the reader alone, in a fresh process."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    mode = include if isinstance(include, str) else ("1" if include else "0")
    result = subprocess.run([sys.executable, "-c", _CHILD, str(prefix), str(out), mode],
                            capture_output=True, text=True, env=env, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def bench_one(arch: str, folder: Path, tmp: Path, keep: bool) -> None:
    """Make (or reuse) the card's checkpoint in `folder`; print copy vs extract speed and memory."""
    existing = sorted(folder.glob("model-*.index")) if keep else []
    prefix = Path(str(existing[0])[:-6]) if existing else _make_checkpoint(folder, arch)
    data = Path(f"{prefix}.data-00000-of-00001")
    size = data.stat().st_size
    copy = _copy_seconds(data, tmp / "copy.data")
    (tmp / "copy.data").unlink()
    rows = [("copy .data", copy, size, None)]
    r = _extract(prefix, tmp / "unused", "read")
    rows.append(("read only", r["seconds"], r["bytes_written"], r))
    for include in (False, True):
        r = _extract(prefix, tmp / f"out-{arch}-{include}", include)
        shutil.rmtree(tmp / f"out-{arch}-{include}", ignore_errors=True)
        rows.append((f"extract{' +opt' if include else ''}", r["seconds"], r["bytes_written"], r))
    largest = rows[2][3]["largest_tensor"]
    print(f"{arch}: checkpoint .data {size / 2**20:.1f} MiB; largest tensor {largest / 2**20:.1f} MiB")
    print(f"{'run':<14}{'seconds':>9}{'MiB out':>9}{'x copy':>8}{'tracemalloc MiB':>17}{'x largest':>10}"
          f"{'peak RSS +MiB':>15}{'x largest':>10}")
    for name, seconds, written, r in rows:
        line = f"{name:<14}{seconds:>9.2f}{written / 2**20:>9.1f}{seconds / copy:>8.2f}"
        if r:
            line += (f"{r['tracemalloc_peak'] / 2**20:>17.2f}{r['tracemalloc_peak'] / largest:>10.2f}"
                     f"{r['rss_growth'] / 2**20:>15.2f}{r['rss_growth'] / largest:>10.2f}")
        print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", nargs="+", default=["monodepth-vgg", "monodepth-resnet50"])
    parser.add_argument("--keep", type=Path, help="Use (or create) the checkpoints in <KEEP>/<arch>.")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}; "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")
    tmp = Path(tempfile.mkdtemp(prefix="bench-extract-"))
    try:
        for arch in args.arch:
            folder = (args.keep or tmp) / arch
            folder.mkdir(parents=True, exist_ok=True)
            bench_one(arch, folder, tmp, args.keep is not None)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
