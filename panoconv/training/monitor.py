"""Training logs on the main rank: TensorBoard scalars and images, `metrics.jsonl`, a tqdm bar.

Other ranks get a `Monitor(enabled=False)` whose methods do nothing, so the loop never branches on rank.
`metrics.jsonl` (one JSON object per step / validation) is the machine-readable record (tests, plots).
Names: `learning_rate` is the optimiser's rate, `loss/lr_consistency` the left-right loss term.

`flush()` (called before every snapshot) puts metrics and events on disk, so a snapshot never
exists without the logs up to its step. A resumed run opens the event writer with `purge_step`, which
hides events a killed run logged after its snapshot (metrics.jsonl is trimmed by the run folder).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import types
from pathlib import Path

import torch

from panoconv.progress import progress as progress_bar

log = logging.getLogger(__name__)


def _tensorboard_without_tensorflow() -> None:
    """Make TensorBoard's writer use its own file layer instead of importing TensorFlow.

    When TensorFlow is installed (panoconv needs it for `verify`), tensorboard imports it for file
    access, which costs 10-30 s of training start-up and TF's start-up banner. An importable
    `tensorboard.compat.notf` is tensorboard's own switch to its stub (its "no_tensorflow" build target);
    the event files are the same. Has no effect once tensorboard has picked TensorFlow in this process.
    """
    sys.modules.setdefault("tensorboard.compat.notf", types.ModuleType("tensorboard.compat.notf"))


class Monitor:
    def __init__(self, run_dir: Path, enabled: bool, total_steps: int, initial_step: int = 0,
                 progress: bool = True, log_every: int = 10, purge_step: int | None = None) -> None:
        self.enabled = enabled
        self.log_every = max(1, int(log_every))
        self.writer = None
        self.metrics = None
        self.bar = None
        if not enabled:
            return
        _tensorboard_without_tensorflow()
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(log_dir=str(Path(run_dir) / "tb"), purge_step=purge_step)
        # open for the run's lifetime; closed in close()
        self.metrics = open(Path(run_dir) / "metrics.jsonl", "a", encoding="utf-8")  # noqa: SIM115
        self.bar = progress_bar(total=total_steps, initial=initial_step, unit="step", dynamic_ncols=True,
                                enabled=progress, desc="train")

    def step(self, step: int, scalars: dict[str, float], lr: float, images_per_s: float, epoch: int) -> None:
        """Record one optimisation step (`scalars` are the global, rank-averaged loss terms)."""
        if not self.enabled:
            return
        assert self.writer is not None and self.metrics is not None and self.bar is not None
        if step % self.log_every == 0 or step == 1:
            for name, value in scalars.items():
                self.writer.add_scalar(f"loss/{name}", value, step)
            self.writer.add_scalar("learning_rate", lr, step)
            self.writer.add_scalar("images_per_s", images_per_s, step)
        self.metrics.write(json.dumps({"step": step, "epoch": epoch, "learning_rate": lr,
                                       "images_per_s": images_per_s,
                                       **{f"loss/{k}": v for k, v in scalars.items()}}) + "\n")
        self.bar.update(1)
        self.bar.set_postfix(loss=f"{scalars['total']:.4f}", img_s=f"{images_per_s:.1f}", refresh=False)

    def images(self, step: int, images: dict[str, torch.Tensor]) -> None:
        if not self.enabled:
            return
        assert self.writer is not None
        for name, image in images.items():
            self.writer.add_image(f"sample/{name}", image.clamp(0, 1), step)

    def validation(self, step: int, epoch: int, scalars: dict[str, float]) -> None:
        if not self.enabled:
            return
        assert self.writer is not None and self.metrics is not None
        for name, value in scalars.items():
            self.writer.add_scalar(f"val/{name}", value, step)
        record = {"step": step, "epoch": epoch, **{f"val/{k}": v for k, v in scalars.items()}}
        self.metrics.write(json.dumps(record) + "\n")
        log.info("step %d (epoch %d) validation: %s", step, epoch,  # per-scale terms: TensorBoard, metrics
                 ", ".join(f"{k} {v:.4f}" for k, v in sorted(scalars.items()) if "/" not in k))

    def flush(self) -> None:
        """Metrics and TensorBoard events up to now onto the disk (fsynced)."""
        if not self.enabled:
            return
        assert self.writer is not None and self.metrics is not None
        self.writer.flush()
        self.metrics.flush()
        os.fsync(self.metrics.fileno())

    def text(self, tag: str, text: str) -> None:
        if self.enabled and self.writer is not None:
            self.writer.add_text(tag, text)

    def close(self) -> None:
        if not self.enabled:
            return
        for closer in (self.bar, self.writer, self.metrics):
            if closer is not None:
                closer.close()

    def __enter__(self) -> Monitor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
