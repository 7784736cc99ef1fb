"""A fork server for the kill -9 test: imports torch and panoconv once, then forks one training run per job.

Protocol (one JSON object per line): the test writes `{"config": PATH, "kill": SPEC | null,
"note": PATH}`; the server forks a child that runs `train(TrainConfig.load(PATH))`, answers
`{"pid": PID}`, waits, and answers `{"status": "exit", "code": N}` or `{"status": "signal", "signal": N}`.

`kill` makes the child SIGKILL itself at an exact point (the test kills from outside at random times
too): `{"fn": "replace" | "fsync" | "unlink" | "torch_save" | "metrics" | "loss", "n": N,
"when": "before" | "after"}` fires at the N-th call of that function in the child ("torch_save" writes
half of the file first, "metrics" half of a line). Just before dying the child writes what it was
doing to `note`, so the test can report the kill points. Forking a warmed-up server keeps each run at
~0.1 s of start-up instead of several seconds of imports and first-use initialisation.
"""

from __future__ import annotations

import io
import json
import os
import pathlib
import signal
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import torch

from panoconv.training import TrainConfig, train
from panoconv.training import monitor as monitor_module
from panoconv.training import snapshots as ck
from tests._fork_serve import serve
from tests.training import _tiny


def _die(note: Path, what: str) -> None:
    note.write_text(what)
    os.kill(os.getpid(), signal.SIGKILL)


def _install(spec: dict, note: Path) -> None:
    fn, n, when = spec["fn"], int(spec["n"]), spec.get("when", "before")
    calls = {"count": 0}

    def hit() -> bool:
        calls["count"] += 1
        return calls["count"] == n

    def around(real, label):
        def wrapper(*args, **kwargs):
            if hit():
                what = f"{fn} #{n} {when}: {label(*args)}"
                if when == "before":
                    _die(note, what)
                out = real(*args, **kwargs)
                _die(note, what)
                return out
            return real(*args, **kwargs)
        return wrapper

    if fn == "replace":
        os.replace = around(os.replace, lambda src, dst: f"{Path(src).name} -> {Path(dst).name}")
    elif fn == "fsync":
        os.fsync = around(os.fsync, lambda fd: os.readlink(f"/proc/self/fd/{fd}").rsplit("/", 2)[-1])
    elif fn == "unlink":
        real_unlink = pathlib.Path.unlink
        pathlib.Path.unlink = around(real_unlink, lambda self, *a: self.name)
    elif fn == "torch_save":
        real_save = torch.save

        def half_save(obj, f, *args, **kwargs):
            if not hit():
                return real_save(obj, f, *args, **kwargs)
            buf = io.BytesIO()
            real_save(obj, buf)
            Path(f).write_bytes(buf.getvalue()[:len(buf.getvalue()) // 2])
            _die(note, f"torch_save #{n}: half of {Path(f).name} written")

        ck.torch.save = half_save
    elif fn == "metrics":
        real_step = monitor_module.Monitor.step

        def torn_step(self, step, *args, **kwargs):
            if hit() and self.enabled:
                self.metrics.write(json.dumps({"step": step, "loss/total": 0.0})[:9])
                self.metrics.flush()
                _die(note, f"metrics #{n}: half a line of step {step} written")
            return real_step(self, step, *args, **kwargs)

        monitor_module.Monitor.step = torn_step
    elif fn == "loss":
        real_loss = _tiny.TinyTask.loss

        def dying_loss(self, model, batch):
            if hit():
                _die(note, f"loss #{n}: in the middle of a training step")
            return real_loss(self, model, batch)

        _tiny.TinyTask.loss = dying_loss
    else:
        raise ValueError(f"unknown kill point {fn!r}")


def _child(job: dict) -> int:
    try:
        if job.get("kill"):
            _install(job["kill"], Path(job["note"]))
        train(TrainConfig.load(job["config"]))
        return 0
    except BaseException:  # noqa: BLE001  (any failure of the job is reported, not raised)
        traceback.print_exc()
        return 1


def _warm_up() -> None:
    """One tiny run here, so the children start warm (first-use imports and kernels cost ~2 s each)."""
    import tempfile

    from tests.training._tiny import tiny_config

    with tempfile.TemporaryDirectory() as tmp:
        train(tiny_config(Path(tmp), epochs=1, max_steps=1))


def main() -> None:
    torch.set_num_threads(1)
    monitor_module._tensorboard_without_tensorflow()
    _warm_up()
    serve(_child)

if __name__ == "__main__":
    main()
