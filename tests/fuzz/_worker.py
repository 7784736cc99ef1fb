"""Run seeded fuzz cases of one reader through the real CLI, in this process, and report each as JSON.

    python -m tests.fuzz._worker KIND[,KIND...] COUNT SEED BASE_DIR

Runs in its own process so that a crash inside a C library (HDF5, zlib) is seen as such, and so that
peak RSS per case can be measured (the high-water mark is reset through /proc/self/clear_refs).
Each case gets a fresh folder as working directory; Python-level file opens outside it (and outside
the interpreter and the repository, which imports read) are recorded by an audit hook.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import signal
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

CASE_SECONDS = 30


def _status(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0


def _reset_hwm() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(folder.rglob("*")) if not p.is_fifo()}


class _Opens:
    """Audit hook: paths opened from Python outside the allowed roots while a case runs."""

    def __init__(self, allowed: list[str]) -> None:
        self.allowed = tuple(allowed)
        self.case: str | None = None
        self.outside: list[str] = []
        sys.addaudithook(self)

    def __call__(self, event: str, args) -> None:
        if self.case is None or event != "open" or not isinstance(args[0], (str, bytes, os.PathLike)):
            return
        path = os.path.abspath(os.fsdecode(args[0]))
        if not path.startswith((self.case, *self.allowed)):
            self.outside.append(path)


def run(kinds: list[str], count: int, seed: int, base: Path) -> list[dict]:
    from click.testing import CliRunner

    from panoconv.cli import main
    from tests.fuzz._seeds import CASES, Unmutated

    repo = str(Path(__file__).resolve().parents[2])
    opens = _Opens([sys.prefix, sys.base_prefix, repo, "/proc/", "/dev/", "/sys/", "/etc/localtime",
                    "/usr/share/", "/usr/lib/", str(Path.home() / ".cache"), str(Path.home() / ".config")])
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError("case over time")))
    runner = CliRunner()
    # Warm up: the first run of each command imports torch / h5py and builds the cards' shape tables,
    # which is not what a case measures (tens of seconds on a loaded machine); tempfile probes its folder.
    tempfile.gettempdir()
    for kind in kinds:
        folder = base / f"warmup-{kind}"
        folder.mkdir(parents=True)
        args = CASES[kind](folder, Unmutated())
        os.chdir(folder)
        runner.invoke(main, ["-q", *args])
        os.chdir(base)
    results = []
    for kind, i in ((k, i) for k in kinds for i in range(count)):
        folder = base / f"{kind}-{i:04d}"
        folder.mkdir(parents=True)
        args = CASES[kind](folder, random.Random(f"{seed}-{kind}-{i}"))
        before = _snapshot(folder)
        for handler in logging.root.handlers[:]:  # as a fresh process: `-q` configures logging anew
            logging.root.removeHandler(handler)
        os.chdir(folder)
        print(f"START {kind} {i}", file=sys.stderr, flush=True)
        rss_ok = _reset_hwm()
        base_rss = _status("VmRSS")
        tracemalloc.start()
        opens.case, opens.outside = str(folder), []
        signal.alarm(CASE_SECONDS)
        start = time.perf_counter()
        result = runner.invoke(main, ["-q", *args], catch_exceptions=True)
        seconds = time.perf_counter() - start
        signal.alarm(0)
        opens.case = None
        _, traced = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss = _status("VmHWM") - base_rss if rss_ok else None
        os.chdir(base)
        after = _snapshot(folder)
        stderr = result.stderr.strip().splitlines()
        problems = []
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            problems.append(f"exception {type(result.exception).__name__}: {result.exception}"[:300])
        if "Traceback" in result.stderr or "Traceback" in result.stdout:
            problems.append("traceback in output")
        if result.exit_code not in (0, 1):
            problems.append(f"exit code {result.exit_code}")
        if result.exit_code != 0 and len(stderr) != 1:
            problems.append(f"{len(stderr)} stderr lines: {stderr[:3]}")
        changed = [k for k in before if after.get(k) != before[k]]
        new = [k for k in after if k not in before]
        if changed:
            problems.append(f"inputs changed: {changed}")
        out = args[args.index("-o") + 1]
        if result.exit_code != 0 and new:
            problems.append(f"left behind after failure: {new[:5]}")
        if result.exit_code == 0 and any(not (k == out or k.startswith(out + os.sep)) for k in new):
            problems.append(f"written outside -o: {[k for k in new if not k.startswith(out)][:5]}")
        if opens.outside:
            problems.append(f"opened outside the inputs: {sorted(set(opens.outside))[:3]}")
        results.append({"kind": kind, "i": i, "exit": result.exit_code, "stderr": stderr[:1],
                        "seconds": round(seconds, 4), "traced": traced, "rss": rss, "problems": problems})
    return results


if __name__ == "__main__":
    kinds, count, seed, base = sys.argv[1].split(","), int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    for row in run(kinds, count, seed, base):
        print(json.dumps(row), flush=True)
