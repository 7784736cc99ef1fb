"""A fork server for the kill -9 test of the writing commands: imports torch and panoconv once, then forks
one CLI run per job (`{"args": [...], "kill_at": N | null, "cwd": PATH, "count": PATH | null}` per line).

`kill_at` makes the child SIGKILL itself just before its N-th file-system event: open() / os.open / os.mkdir /
os.replace / os.fsync / os.unlink / os.chmod / os.rmdir calls and every chunk a weight-store writer
streams. A child given `count` writes its event count there on exit, so the test can spread kill points over a
whole run. Replies: `{"pid": PID}`, then `{"status": "exit", "code": N, "events": K}` or
`{"status": "signal", "signal": 9}`.
"""

from __future__ import annotations

import builtins
import io
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import torch

from panoconv.cli import main as cli
from panoconv.commands import convert, extract, predict, reproject, synth  # noqa: F401  (warm imports)
from panoconv.weights import _writers
from tests._fork_serve import serve

EVENTS = ("open", "mkdir", "replace", "fsync", "unlink", "chmod", "rmdir")


def _install(kill_at: int | None, counter: dict) -> None:
    def hit() -> None:
        counter["n"] += 1
        if kill_at is not None and counter["n"] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    def wrap(real):
        def wrapper(*args, **kwargs):
            hit()
            return real(*args, **kwargs)
        return wrapper

    for name in EVENTS:
        setattr(os, name, wrap(getattr(os, name)))
    builtins.open = io.open = wrap(io.open)  # every file read or written from Python
    real_call = _writers._Hashing.__call__

    def chunk(self, data):
        hit()
        return real_call(self, data)

    _writers._Hashing.__call__ = chunk


def _child(job: dict) -> int:
    counter = {"n": 0}
    os.chdir(job["cwd"])
    _install(job.get("kill_at"), counter)
    try:
        cli.main(job["args"], prog_name="panoconv", standalone_mode=False)
        code = 0
    except SystemExit as err:
        code = err.code if isinstance(err.code, int) else 1
    except Exception as err:  # noqa: BLE001  (click's standalone handling is off: print as the CLI would)
        print(f"Error: {err}", file=sys.stderr)
        code = 1
    if job.get("count"):
        Path(job["count"]).write_text(str(counter["n"]))
    return code


def main() -> None:
    torch.set_num_threads(1)
    serve(_child, quiet_child=True)


if __name__ == "__main__":
    main()
