"""`TrainConfig`: everything that defines a training run, saved as `config.json` in the run folder.

A frozen dataclass with a JSON round trip (never pickled). Fields left `None` (`arch`, `epochs`,
`batch_size`, `lr`) take the task's recipe defaults in `resolved()`, so a saved config always holds
the concrete numbers the run used.

Two kinds of fields: those that decide the trajectory (data, model, recipe, seed, ...) and
`RUNTIME_FIELDS` (output folder, workers, threads, logging cadence, `max_steps`, resume/force) that do
not. Only the first kind counts when deciding whether a run folder holds "the same run"
(`identity()` / `config_hash()`), so e.g. resuming with more workers or a later `max_steps` is fine.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from panoconv.errors import PanoconvError
from panoconv.geometry.constants import WARP_MODES
from panoconv.precision import PRECISIONS

WARPS = WARP_MODES
LR_SCHEDULES = ("recipe", "constant", "halving", "cosine")
CONFIG_VERSION = 1
#: keys of runs written before training checkpoints were renamed snapshots
LEGACY_KEYS = {"checkpoint_every": "snapshot_every", "checkpoint_minutes": "snapshot_minutes",
               "keep_checkpoints": "keep_snapshots"}

#: fields that do not change what is computed (precision: only rounding, and a run may continue in
#: another one), ignored when comparing runs
RUNTIME_FIELDS = frozenset({
    "out", "resume", "force", "num_workers", "threads", "device", "progress", "log_every", "image_every",
    "snapshot_every", "snapshot_minutes", "keep_snapshots", "max_steps", "val_every", "precision",
})


class ConfigError(PanoconvError):
    """A training option is invalid or a saved config cannot be read."""


@dataclass(frozen=True)
class DataSpec:
    """One data set: a file list, the folder its paths are relative to, and how its images are warped.

    `root=None` means the list's folder. `fov_deg=None` means the warp's default (82.5, or 360 for
    panoramas). Tasks that have no warp (supervised) ignore `warp` and `fov_deg`.
    """

    list_file: str
    root: str | None = None
    warp: str = "rectilinear"
    fov_deg: float | None = None

    def __post_init__(self) -> None:
        if self.warp not in WARPS:
            raise ConfigError(f"unknown warp {self.warp!r}; expected one of {', '.join(WARPS)}")
        if self.fov_deg is not None and not 0.0 < float(self.fov_deg) <= 360.0:
            raise ConfigError(f"--fov must be in (0, 360] degrees, got {self.fov_deg}")

    @property
    def root_dir(self) -> Path:
        return Path(self.root) if self.root is not None else Path(self.list_file).parent


@dataclass(frozen=True)
class TrainConfig:
    """One training run. `batch_size` is the global batch (split evenly across DDP ranks)."""

    data: tuple[DataSpec, ...] = ()
    val_data: tuple[DataSpec, ...] = ()
    task: str = "stereo"
    arch: str | None = None
    init: str | None = None
    epochs: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    height: int = 256
    width: int = 512
    seed: int = 0
    augment: bool = True
    skip_bad: bool = False
    datasets: tuple[str, ...] | None = None  # 3D60 splits: keep rows of these member data sets
    upstream_loss: bool = False  # the loss exactly as upstream computes it (see the task's loss docs)
    # fine-tuning (panoconv.training.freeze / schedule / disp_init)
    freeze: tuple[str, ...] = ()  # parameter parts or globs left exactly as loaded
    lr_schedule: str | None = None  # None / "recipe": the task's; constant | halving | cosine
    lr_warmup: int = 0  # linear warm-up steps
    lr_schedule_steps: int | None = None  # where the schedule ends [epochs x batches per epoch]
    disp_init: str | None = None  # "scan" or a factor: shift the disparity head (disp_init.py)
    # runtime (see RUNTIME_FIELDS)
    out: str = "runs/train"
    max_steps: int | None = None
    # snapshots are written every `snapshot_minutes` (None: never by time), at every epoch end, at
    # the end, on SIGINT/SIGTERM, and every `snapshot_every` steps if set
    snapshot_every: int | None = None
    snapshot_minutes: float | None = 30.0
    keep_snapshots: int = 2
    num_workers: int = 0
    threads: int | None = None
    device: str = "auto"
    precision: str = "fp32"  # fp32 | bf16 (autocast) | fp16 (CUDA, with a GradScaler): panoconv.runtime
    log_every: int = 10
    image_every: int = 500
    val_every: int | None = None  # validate every N steps as well as at every epoch end
    progress: bool = True
    resume: bool = False
    force: bool = False
    version: int = field(default=CONFIG_VERSION)

    def __post_init__(self) -> None:
        object.__setattr__(self, "data", tuple(_spec(d) for d in self.data))
        object.__setattr__(self, "val_data", tuple(_spec(d) for d in self.val_data))
        if self.datasets is not None:  # JSON gives a list
            object.__setattr__(self, "datasets", tuple(self.datasets))
        object.__setattr__(self, "freeze", tuple(self.freeze))
        self.validate()

    def validate(self) -> None:
        """Raise `ConfigError` (one line, names the option) for values no run could use."""
        positive = {"height": self.height, "width": self.width, "keep_snapshots": self.keep_snapshots,
                    "log_every": self.log_every, "image_every": self.image_every}
        for name in ("epochs", "batch_size", "max_steps", "threads", "snapshot_every", "val_every",
                     "lr_schedule_steps"):
            if getattr(self, name) is not None:
                positive[name] = getattr(self, name)
        for name, value in positive.items():
            if int(value) < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be at least 1, got {value}")
        if self.snapshot_minutes is not None and not float(self.snapshot_minutes) > 0.0:
            raise ConfigError(f"--snapshot-minutes must be positive (0 on the command line turns it off), "
                              f"got {self.snapshot_minutes}")
        if self.lr is not None and not 0.0 <= float(self.lr) < float("inf"):  # 0: a run that changes nothing
            raise ConfigError(f"--lr must be positive (or 0 to check that training changes nothing), got "
                              f"{self.lr}")
        self._validate_finetune()
        if self.seed < 0:
            raise ConfigError(f"--seed must be >= 0, got {self.seed}")
        if self.precision not in PRECISIONS:
            raise ConfigError(f"--precision must be one of {', '.join(PRECISIONS)}, got {self.precision}")
        if self.num_workers < 0:
            raise ConfigError(f"--num-workers must be >= 0, got {self.num_workers}")
        if self.version != CONFIG_VERSION:
            raise ConfigError(f"config version {self.version} is not supported (expected {CONFIG_VERSION})")

    def _validate_finetune(self) -> None:
        if self.lr_schedule not in (None, *LR_SCHEDULES):
            raise ConfigError(f"--lr-schedule {self.lr_schedule!r}: expected one of "
                              f"{', '.join(LR_SCHEDULES)}")
        if int(self.lr_warmup) < 0:
            raise ConfigError(f"--lr-warmup must be >= 0 steps, got {self.lr_warmup}")
        if self.lr_schedule_steps is not None and int(self.lr_warmup) >= int(self.lr_schedule_steps):
            raise ConfigError(f"the lr schedule ends at step {self.lr_schedule_steps} before its warm-up of "
                              f"{self.lr_warmup} steps finishes; lower --lr-warmup or raise "
                              "--lr-schedule-steps")
        if any(not isinstance(p, str) or not p.strip() for p in self.freeze):
            raise ConfigError("--freeze needs a part name (encoder, decoder) or a glob over parameter names")
        if self.disp_init is not None and self.disp_init != "scan":
            try:
                factor = float(self.disp_init)
            except ValueError:
                factor = float("nan")
            if not 0.0 < factor < float("inf"):
                raise ConfigError(f"--disp-init must be 'scan' or a positive factor, got {self.disp_init!r}")

    # --- JSON ------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> TrainConfig:
        raw = {LEGACY_KEYS.get(k, k): v for k, v in raw.items()}  # config.json of a run before the rename
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ConfigError(f"unknown config keys: {', '.join(unknown)}")
        return cls(**dict(raw))

    @classmethod
    def from_json(cls, text: str) -> TrainConfig:
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as err:
            raise ConfigError(f"config is not valid JSON: {err}") from None
        if not isinstance(raw, dict):
            raise ConfigError("config JSON must be an object")
        return cls.from_dict(raw)

    @classmethod
    def load(cls, path: Path | str) -> TrainConfig:
        try:
            return cls.from_json(Path(path).read_text())
        except OSError as err:
            raise ConfigError(f"{path}: cannot read config: {err.strerror}") from None

    # --- identity --------------------------------------------------------------------------------
    def identity(self) -> dict[str, Any]:
        """The fields that decide the trajectory (everything but `RUNTIME_FIELDS`)."""
        return {k: v for k, v in self.to_dict().items() if k not in RUNTIME_FIELDS}

    def config_hash(self) -> str:
        """16 hex digits of SHA-256 over `identity()` as canonical JSON."""
        blob = json.dumps(self.identity(), sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def differences(self, other: TrainConfig) -> list[str]:
        """Human-readable `key: a -> b` for every identity field that differs."""
        mine, theirs = self.identity(), other.identity()
        return [f"{k}: {theirs.get(k)!r} -> {mine.get(k)!r}" for k in sorted(set(mine) | set(theirs))
                if mine.get(k) != theirs.get(k)]

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)


def _spec(value: DataSpec | Mapping[str, Any] | list | tuple) -> DataSpec:
    """Accept DataSpec, a dict (from JSON) or a (list_file, root, warp, fov) sequence."""
    if isinstance(value, DataSpec):
        return value
    if isinstance(value, Mapping):
        return DataSpec(**value)
    return DataSpec(*value)
