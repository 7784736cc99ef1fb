"""The run folder: refuse to mix two runs in one folder, unless told to resume or replace.

- empty or missing folder: a new run.
- folder with `config.json` but no snapshot and no exported weights (a run stopped before its first
  snapshot: there is nothing to resume and nothing to lose but its logs): started over, logs cleared.
- folder with `config.json` of the same run (same `identity()`): needs `--resume` (continue) or
  `--force` (start over) -- silently restarting would clobber snapshots.
- folder with a different run's `config.json`: refused unless `--force`; with `--resume` the
  differences are logged and the new values apply (e.g. more epochs).
- non-empty folder without `config.json`: not a run folder; refused unless `--force`.

`--force` removes only what a run writes (snapshots, TensorBoard logs, config, exported weights).
Every rank calls `check_run_dir` (read-only, same answer everywhere); only the main rank calls
`prepare_run_dir`, under `RunLock` (an advisory lock held while training, so a second process
cannot start over or resume a folder a live run is writing). `prepare_run_dir` also sweeps the
temporary files a killed run left behind and, on resume, drops the `metrics.jsonl` records logged
after the snapshot it resumes from (and a torn last line), so the log matches the trajectory.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from panoconv.errors import OutputExistsError
from panoconv.io.atomic import atomic_file
from panoconv.io.overlap import check_not_input
from panoconv.training.config import TrainConfig
from panoconv.training.snapshots import (
    LEGACY_SNAPSHOT_DIR,
    SNAPSHOT_DIR,
    has_snapshot_files,
    sweep_temp_files,
)

log = logging.getLogger(__name__)

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
METRICS_FILE = "metrics.jsonl"
TB_DIR = "tb"
LOCK_FILE = ".lock"
RUN_OUTPUTS = (SNAPSHOT_DIR, LEGACY_SNAPSHOT_DIR, TB_DIR, CONFIG_FILE, WEIGHTS_FILE, METRICS_FILE)
#: temporary siblings `atomic_path` makes for the run folder's own files (".config.k2j3.json", ...)
_TEMP = re.compile(r"^\.(config|model|metrics)\..+\.(json|safetensors|jsonl)$")


@dataclass(frozen=True)
class RunPlan:
    """What `check_run_dir` decided: resume from `saved`, or start (over) clearing old outputs."""

    saved: TrainConfig | None = None  # the folder's config when resuming
    resume: bool = False
    clear: bool = False  # remove a previous run's outputs before starting


def _is_empty(run: Path) -> bool:
    return all(p.name == LOCK_FILE for p in run.iterdir())


def _inputs(config: TrainConfig) -> list[Path]:
    """What a run reads: its file lists, their data roots and the `--init` weights (never to be cleared)."""
    specs = (*config.data, *config.val_data)
    return [*(Path(s.list_file) for s in specs), *(s.root_dir for s in specs),
            *([Path(config.init)] if config.init else [])]


def check_run_dir(config: TrainConfig) -> RunPlan:
    """Raise if `config.out` may not be used; say whether to resume and whether to clear old outputs."""
    run = Path(config.out)
    check_not_input(run, _inputs(config), "run folder", relations=("is", "contains"))
    if not run.exists():
        return RunPlan()
    if not run.is_dir():
        raise OutputExistsError(f"{run}: exists and is not a folder")
    if _is_empty(run):
        return RunPlan()
    saved_file = run / CONFIG_FILE
    if not saved_file.is_file():
        if config.force:
            return RunPlan(clear=True)
        raise OutputExistsError(f"{run}: not empty and not a panoconv run folder "
                                "(use --force to train into it)")
    saved = TrainConfig.load(saved_file)
    if config.force:
        return RunPlan(clear=True)
    diffs = config.differences(saved)
    if not has_snapshot_files(run) and not (run / WEIGHTS_FILE).exists():
        changed = f" with changed settings ({'; '.join(diffs[:3])})" if diffs else ""
        log.warning("%s: the run there stopped before its first snapshot; starting it over%s", run, changed)
        return RunPlan(clear=True)
    if config.resume:
        for d in diffs:
            log.warning("resuming with a changed setting: %s", d)
        return RunPlan(saved=saved, resume=True)
    if diffs:
        raise OutputExistsError(f"{run}: holds a different run ({'; '.join(diffs[:3])}); use --resume to "
                                "continue it with these settings, --force to replace it, or another --out")
    raise OutputExistsError(f"{run}: already holds this run; use --resume to continue it or --force to "
                            "restart")


def prepare_run_dir(config: TrainConfig, plan: RunPlan, resumed_step: int | None = None) -> Path:
    """Create the folder, clear old outputs or trim the log of a resumed run, write `config.json`.

    Main rank only, while holding the `RunLock`.
    """
    run = Path(config.out)
    if plan.clear:
        for name in RUN_OUTPUTS:
            target = run / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    run.mkdir(parents=True, exist_ok=True)
    stale = sweep_temp_files(run) + _sweep_run_temp_files(run)
    if stale:
        log.info("%s: removed %d temporary file(s) left by an interrupted run", run, len(stale))
    if resumed_step is not None:
        trim_metrics(run / METRICS_FILE, resumed_step)
    with atomic_file(run / CONFIG_FILE, "w") as f:
        f.write(config.to_json())
    return run


def _sweep_run_temp_files(run: Path) -> list[Path]:
    stale = [p for p in run.iterdir() if _TEMP.match(p.name) and p.is_file()]
    for p in stale:
        p.unlink(missing_ok=True)
    return stale


def trim_metrics(path: Path, last_step: int) -> int:
    """Keep the records of steps <= `last_step` (drop later ones and torn lines); return how many went."""
    if not path.is_file():
        return 0
    kept, dropped = [], 0
    with open(path, "rb") as f:
        for raw in f:
            record = _record(raw)
            if record is not None and int(record.get("step", -1)) <= last_step:
                kept.append(raw if raw.endswith(b"\n") else raw + b"\n")
            else:
                dropped += 1
    if dropped:
        with atomic_file(path, "wb") as f:
            f.writelines(kept)
        log.info("%s: dropped %d record(s) logged after the snapshot of step %d", path, dropped, last_step)
    return dropped


def _record(raw: bytes) -> dict[str, Any] | None:
    if not raw.endswith(b"\n"):
        return None  # a line cut by a kill
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) and isinstance(value.get("step"), int) else None


class RunLock:
    """An exclusive `flock` on `run/.lock` for the lifetime of a training process (main rank only).

    The kernel drops the lock when the process dies, even by kill -9, so a stale lock never blocks.
    File systems without `flock` (some network mounts) get no lock, with a debug message.
    """

    def __init__(self, run: Path, enabled: bool = True) -> None:
        self.path = Path(run) / LOCK_FILE
        self.enabled = enabled
        self.fd: int | None = None

    def __enter__(self) -> RunLock:
        if not self.enabled:
            return self
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            os.close(fd)
            if err.errno in (errno.EWOULDBLOCK, errno.EACCES):
                raise OutputExistsError(f"{self.path.parent}: another training process (pid {holder or '?'}) "
                                        "is using this run folder") from None
            log.debug("%s: no lock (%s)", self.path, err.strerror)
            return self
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self.fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            os.close(self.fd)  # releases the flock
            self.fd = None
