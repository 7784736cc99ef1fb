"""The run folder: refuse to mix two runs in one folder, unless told to resume or replace.

- empty or missing folder: a new run.
- folder with `config.json` of the same run (same `identity()`): needs `--resume` (continue) or
  `--force` (start over) -- silently restarting would clobber checkpoints.
- folder with a different run's `config.json`: refused unless `--force`; with `--resume` the
  differences are logged and the new values apply (e.g. more epochs).
- non-empty folder without `config.json`: not a run folder; refused unless `--force`.

`--force` removes only what a run writes (checkpoints, TensorBoard logs, config, exported weights).
Every rank calls `check_run_dir` (read-only, same answer everywhere); only the main rank calls
`prepare_run_dir`.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from panoconv.errors import OutputExistsError
from panoconv.io.atomic import atomic_file
from panoconv.training.checkpoint import CHECKPOINT_DIR
from panoconv.training.config import TrainConfig

log = logging.getLogger(__name__)

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
TB_DIR = "tb"
RUN_OUTPUTS = (CHECKPOINT_DIR, TB_DIR, CONFIG_FILE, WEIGHTS_FILE, "metrics.jsonl")


def check_run_dir(config: TrainConfig) -> TrainConfig | None:
    """Raise if `config.out` may not be used; return the saved config when resuming from it."""
    run = Path(config.out)
    if not run.exists() or (run.is_dir() and not any(run.iterdir())):
        return None
    if not run.is_dir():
        raise OutputExistsError(f"{run}: exists and is not a folder")
    saved_file = run / CONFIG_FILE
    if not saved_file.is_file():
        if config.force:
            return None
        raise OutputExistsError(f"{run}: not empty and not a panoconv run folder "
                                "(use --force to train into it)")
    saved = TrainConfig.load(saved_file)
    if config.force:
        return None
    diffs = config.differences(saved)
    if config.resume:
        for d in diffs:
            log.warning("resuming with a changed setting: %s", d)
        return saved
    if diffs:
        raise OutputExistsError(f"{run}: holds a different run ({'; '.join(diffs[:3])}); use --resume to "
                                "continue it with these settings, --force to replace it, or another --out")
    raise OutputExistsError(f"{run}: already holds this run; use --resume to continue it or --force to "
                            "restart")


def prepare_run_dir(config: TrainConfig) -> Path:
    """Create the folder, clear a forced-over run's outputs, write `config.json` (main rank only)."""
    run = Path(config.out)
    if config.force and not config.resume:
        for name in RUN_OUTPUTS:
            target = run / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    run.mkdir(parents=True, exist_ok=True)
    with atomic_file(run / CONFIG_FILE, "w") as f:
        f.write(config.to_json())
    return run
