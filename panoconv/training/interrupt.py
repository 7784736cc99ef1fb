"""Ctrl-C and SIGTERM during training: finish the step, save a snapshot, exit 130.

`StopRequest` installs handlers for SIGINT and SIGTERM while training runs (main thread only; the
previous handlers are restored afterwards). The first signal only sets `requested`; the trainer looks
at it at every step boundary (under DDP through an all-reduce, so every rank stops after the same
step), saves a snapshot and raises `TrainingInterrupted`. A second signal aborts at once
(`KeyboardInterrupt`); the snapshot being written then is abandoned, the previous one stays intact.

Under torchrun one Ctrl-C reaches each worker twice: from the terminal (the whole process group gets
it) and forwarded by the torchrun agent a moment later. There (TORCHELASTIC_RUN_ID is set) a repeat
within `REPEAT_GRACE_S` of the first signal is taken as the same request, not as the second Ctrl-C. (The agent
itself kills the workers 30 s after forwarding a signal; a step plus a snapshot must fit in that time.)

DataLoader worker processes ignore both signals (`ignore_stop_signals` as `worker_init_fn`): the main
process decides when to stop, and a worker that died of Ctrl-C would make the next batch fail.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from types import FrameType
from typing import Any

from panoconv.errors import PanoconvError

log = logging.getLogger(__name__)

SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: seconds during which a repeated signal counts as the first one (torchrun forwarding a Ctrl-C)
REPEAT_GRACE_S = 1.0
#: exit status of an interrupted run (128 + SIGINT, as shells report Ctrl-C), for SIGINT and SIGTERM alike
EXIT_INTERRUPTED = 130


class TrainingInterrupted(PanoconvError):
    """Training stopped on SIGINT/SIGTERM after saving a snapshot; `--resume` continues it exactly."""

    def __init__(self, message: str, step: int, snapshot: Any, signal_name: str) -> None:
        super().__init__(message)
        self.step, self.snapshot, self.signal_name = step, snapshot, signal_name


class StopRequest:
    """Context manager: catch SIGINT/SIGTERM as a request to stop at the next step boundary."""

    def __init__(self, install: bool = True) -> None:
        self.signum: int | None = None
        self._first_at = 0.0
        self._install = install and threading.current_thread() is threading.main_thread()
        self._previous: dict[int, Any] = {}
        self._under_torchrun = "TORCHELASTIC_RUN_ID" in os.environ

    @property
    def requested(self) -> bool:
        return self.signum is not None

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signum).name if self.signum is not None else ""

    def request(self, signum: int = signal.SIGINT) -> None:
        """Ask for a stop as a signal would (also for tests and embedding code)."""
        if self.signum is None:
            self.signum, self._first_at = int(signum), time.monotonic()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is None:
            self.request(signum)
            log.warning("%s: stopping after this step and saving a snapshot (press Ctrl-C again to abort "
                        "without saving)", signal.Signals(signum).name)
            return
        if self._under_torchrun and time.monotonic() - self._first_at < REPEAT_GRACE_S:
            return  # the same interruption delivered twice (terminal + torchrun agent)
        raise KeyboardInterrupt(f"second {signal.Signals(signum).name}: aborted without a snapshot")

    def __enter__(self) -> StopRequest:
        if self._install:
            for sig in SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)  # None: set outside Python
        self._previous.clear()


def ignore_stop_signals(worker_id: int = 0) -> None:
    """`worker_init_fn` for DataLoader workers: leave SIGINT/SIGTERM to the training process."""
    for sig in SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
