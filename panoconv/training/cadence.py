"""When the trainer writes a snapshot: by time, at every epoch end, and optionally every N steps.

By time is the default that matters: `--snapshot-every` in steps cannot suit both a GPU (thousands of
steps an hour) and a CPU (about a thousand steps an hour for monodepth at 256x512), while 30 minutes
of lost work is the same promise everywhere. Epoch ends are natural resume points (validation has run).
Only the main rank writes, so only its clock counts; snapshot times never change the trajectory.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class SnapshotCadence:
    def __init__(self, every_steps: int | None, minutes: float | None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.every_steps = every_steps
        self.seconds = None if minutes is None else float(minutes) * 60.0
        self.clock = clock
        self.last = clock()

    def due(self, step: int, epoch_end: bool) -> str | None:
        """Why a snapshot is due after `step` (None if it is not)."""
        if epoch_end:
            return "epoch end"
        if self.every_steps and step % self.every_steps == 0:
            return f"every {self.every_steps} steps"
        if self.seconds is not None and self.clock() - self.last >= self.seconds:
            return f"{self.seconds / 60:g} minutes since the last one"
        return None

    def saved(self) -> None:
        self.last = self.clock()
