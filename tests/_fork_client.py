"""The test side of the kill -9 fork servers (`tests/_fork_serve.py` is the worker side): one long-lived
worker process the kill tests talk to over JSON lines (torch imported once, many runs).

The worker prints `{"ready": true}` once, then for each job line on stdin `{"pid": ...}` before it
starts and one result line when it ends (or the test reads EOF: then the worker's stderr tail is the
assertion message). Subclasses add `run()` with their job's fields.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


class ForkClient:
    def __init__(self, worker: Path, tmp: Path) -> None:
        self.log = open(tmp / "worker.log", "w")  # noqa: SIM115  (the worker's stderr until close())
        env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
        self.proc = subprocess.Popen([sys.executable, str(worker)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.log, text=True, cwd=REPO, env=env)
        assert self._read().get("ready")

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        assert line, Path(self.log.name).read_text()[-3000:]
        return json.loads(line)

    def send(self, job: dict) -> int:
        """Start one job; returns the pid the worker runs it in (read the result with `_read()`)."""
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        return self._read()["pid"]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)
        self.log.close()
