"""How fast trivial mistakes fail: wall time of `panoconv ...` usage errors in fresh processes (target < 1 s).

Each command is run in a new interpreter (as a user types it), three times; the table shows the median
wall and CPU time and whether torch or TensorFlow got imported on the way (they must not be: arguments
are checked first). On a shared, loaded machine the wall time mostly waits for a core; CPU time does not.
Run: `.venv/bin/python benchmarks/bench_usage_errors.py` (prints the load average beside the numbers).
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROBE = ("import sys, runpy; sys.argv = ['panoconv'] + sys.argv[1:]\n"
         "try:\n    runpy.run_module('panoconv.cli', run_name='__main__')\n"
         "finally:\n    print('heavy:', ','.join(m for m in ('torch', 'tensorflow') if m in sys.modules) or "
         "'-', file=sys.stderr)\n")


def cases(d: Path) -> list[list[str]]:
    (d / "empty").mkdir(exist_ok=True)
    (d / "img.png").write_bytes(b"")
    (d / "w.safetensors").write_bytes(b"")
    return [
        ["verify", str(d / "nope")],
        ["predict", str(d / "img.png"), "-w", str(d / "nope.safetensors"), "-o", str(d / "o")],
        ["predict", str(d / "img.png"), "-w", str(d / "empty"), "-o", str(d / "o")],
        ["predict", str(d / "img.png"), "-w", str(d / "w.safetensors"), "-o", str(d / "o"), "--range", "1,0"],
        ["predict", str(d / "nope.png"), "-w", str(d / "w.safetensors"), "-o", str(d / "o")],
        ["evaluate", str(d / "empty"), "-w", str(d / "nope.safetensors")],
        ["train", "--data", str(d / "empty"), "--out", str(d / "t")],
        ["train", "--data", str(d / "nope.txt")],
        ["extract", str(d / "nope"), "-o", str(d / "x")],
        ["convert", str(d / "nope"), "-o", str(d / "x.safetensors")],
        ["reference", "make-checkpoint", str(d / "m"), "--step", "-1"],
        ["synth", str(d / "s"), "--count", "0"],
        ["predict", "--bogus"],
    ]


def main() -> None:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    print(f"load average: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} "
          f"on {os.cpu_count()} cores; python {sys.version.split()[0]}")
    idle = statistics.median(_time([sys.executable, "-c", "pass"], env) for _ in range(5))
    print(f"bare interpreter start (python -c pass): {idle:.2f} s median of 5")
    print(f"{'wall s':>7}  {'cpu s':>6}  {'exit':>4}  {'heavy':<16} command   (medians of 3)")
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for argv in cases(Path(tmp)):
            times, cpus, code, heavy = [], [], None, "-"
            for _ in range(3):
                start, cpu0 = time.perf_counter(), _child_cpu()
                done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True,
                                      env=env)
                times.append(time.perf_counter() - start)
                cpus.append(_child_cpu() - cpu0)
                code = done.returncode
                heavy = done.stderr.strip().splitlines()[-1].split(":", 1)[1].strip()
            median = statistics.median(times)
            worst = max(worst, median)
            shown = " ".join(a.replace(tmp, "D") for a in argv)
            print(f"{median:7.2f}  {statistics.median(cpus):6.2f}  {code:>4}  {heavy:<16} panoconv {shown}")
    print(f"slowest median {worst:.2f} s, {worst - idle:.2f} s above a bare interpreter start (target < 1 s)")


def _child_cpu() -> float:
    """User + system CPU seconds of finished child processes (wall time on a loaded box waits for a core)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _time(cmd: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, capture_output=True, env=env)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
