"""Training checkpoints: everything needed to continue a run exactly, written so a crash never loses one.

Layout inside the run folder:

    checkpoints/step_00010000.pt          torch.save of tensors and plain containers only
    checkpoints/step_00010000.pt.sha256   its SHA-256 (`sha256sum -c` format), written before it appears
    checkpoints/latest                    the file name of the newest complete checkpoint (written last)

Why a checksum: `torch.load` does not verify the zip CRCs, so a flipped bit in a tensor loads silently.

Writing (`save_checkpoint`): the state goes to a hidden temporary sibling, is fsynced and hashed; the
checksum file is written (atomically), then the checkpoint is renamed into place, then `latest` is
replaced, and only then are checkpoints beyond `keep` deleted. A kill at any moment leaves every
visible `step_*.pt` complete and checksummed, and at least the previous checkpoint intact.

Reading (`find_resume_checkpoint`): the newest `step_*.pt` whose checksum matches and which loads
(`weights_only=True`, no unpickling fallback) is used. Every newer one skipped is a warning that says
why (empty, truncated, checksum mismatch, no checksum), as is a `latest` pointer that is garbage or
names a missing file, so a damaged latest checkpoint falls back to the previous good one instead of
failing or, worse, loading silently. `latest` is for people and tools; resume does not prefer it over a
newer complete checkpoint (a kill between the rename and the pointer update leaves exactly that), since
resuming from an older one would trim the log of steps that the newer checkpoint still holds.

RNG states are converted to tensors / lists so the safe loader accepts them (numpy's holds an ndarray).
"""

from __future__ import annotations

import hashlib
import logging
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from panoconv.errors import CheckpointError
from panoconv.io.atomic import atomic_file, atomic_path, fsync_dir

log = logging.getLogger(__name__)

FORMAT = "panoconv-train-checkpoint/1"
CHECKPOINT_DIR = "checkpoints"
LATEST = "latest"
CHECKSUM_SUFFIX = ".sha256"
_NAME = re.compile(r"^step_(\d+)\.pt$")
#: temporary files `atomic_path` leaves behind when killed mid-write (".step_00000010.pt.k3j2.pt" etc.)
_TEMP = re.compile(r"^\.(step_\d+\.pt|step_\d+|latest)\..+$")


def checkpoint_name(step: int) -> str:
    return f"step_{step:08d}.pt"


def checksum_path(path: Path) -> Path:
    return path.with_name(path.name + CHECKSUM_SUFFIX)


def _step_of(path: Path) -> int:
    match = _NAME.match(path.name)
    return int(match[1]) if match else -1


# --- RNG states ----------------------------------------------------------------------------------
def capture_rng() -> dict[str, Any]:
    """torch, CUDA, numpy and python RNG states as tensors and plain containers."""
    np_state = np.random.get_state()
    py_state = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": {"name": np_state[0], "keys": torch.from_numpy(np_state[1].astype(np.int64)),
                  "pos": int(np_state[2]), "has_gauss": int(np_state[3]),
                  "cached_gaussian": float(np_state[4])},
        "python": {"version": py_state[0], "state": list(py_state[1]), "gauss_next": py_state[2]},
    }


def restore_rng(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    if state.get("cuda") and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    n = state["numpy"]
    np.random.set_state((n["name"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"],
                         n["cached_gaussian"]))
    p = state["python"]
    random.setstate((p["version"], tuple(p["state"]), p["gauss_next"]))


# --- checksums -----------------------------------------------------------------------------------
def file_sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _read_checksum(path: Path) -> str:
    """The SHA-256 recorded for checkpoint `path`; CheckpointError if absent or malformed."""
    sums = checksum_path(path)
    try:
        text = sums.read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no checksum file {sums.name} (incomplete write, or not written by "
                              "this version of panoconv)") from None
    except OSError as err:
        raise CheckpointError(f"{sums}: cannot read checksum ({err.strerror})") from None
    fields = text.split()
    if len(fields) != 2 or fields[1] != path.name or not re.fullmatch(r"[0-9a-f]{64}", fields[0]):
        raise CheckpointError(f"{sums}: not a checksum line for {path.name}")
    return fields[0]


def verify_checkpoint(path: Path) -> None:
    """Raise CheckpointError unless `path` exists, is non-empty and matches its recorded SHA-256."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise CheckpointError(f"{path}: missing") from None
    if size == 0:
        raise CheckpointError(f"{path}: empty file")
    expected = _read_checksum(path)
    actual = file_sha256(path)
    if actual != expected:
        raise CheckpointError(f"{path}: checksum mismatch ({size} bytes; SHA-256 {actual[:12]}..., recorded "
                              f"{expected[:12]}...): the file is damaged")


# --- save ----------------------------------------------------------------------------------------
def save_checkpoint(run_dir: Path, state: dict[str, Any], keep: int = 2) -> Path:
    """Write `state` (must hold "step") as the newest checkpoint; keep the `keep` newest complete ones."""
    folder = Path(run_dir) / CHECKPOINT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / checkpoint_name(int(state["step"]))
    with atomic_path(path) as tmp:
        torch.save({"format": FORMAT, **state}, tmp)
        digest = file_sha256(tmp)
        with atomic_file(checksum_path(path), "w") as f:  # before the checkpoint is visible
            f.write(f"{digest}  {path.name}\n")
    with atomic_file(folder / LATEST, "w") as f:
        f.write(path.name + "\n")
    _prune(folder, keep, newest=path)
    return path


def _prune(folder: Path, keep: int, newest: Path) -> None:
    """Delete complete checkpoints beyond the `keep` newest (with their checksums) and orphan checksums."""
    done = sorted((p for p in folder.iterdir() if _NAME.match(p.name)), key=_step_of)
    for old in done[:-keep] if keep > 0 else []:
        if old != newest:
            old.unlink(missing_ok=True)
            checksum_path(old).unlink(missing_ok=True)
    for sums in folder.glob(f"step_*.pt{CHECKSUM_SUFFIX}"):
        if not sums.with_name(sums.name[:-len(CHECKSUM_SUFFIX)]).exists() and sums != checksum_path(newest):
            sums.unlink(missing_ok=True)
    fsync_dir(folder)


def sweep_temp_files(run_dir: Path) -> list[Path]:
    """Delete temporary checkpoint files a killed run left in `run_dir/checkpoints`; return them.

    Only call while no other process writes this run folder (the trainer holds the run lock).
    """
    folder = Path(run_dir) / CHECKPOINT_DIR
    if not folder.is_dir():
        return []
    stale = [p for p in folder.iterdir() if _TEMP.match(p.name) and p.is_file()]
    for p in stale:
        p.unlink(missing_ok=True)
    return stale


# --- find / load ---------------------------------------------------------------------------------
def _pointer_warning(folder: Path) -> str | None:
    """A warning when `latest` exists but does not name an existing checkpoint."""
    pointer = folder / LATEST
    try:
        raw = pointer.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as err:
        return f"{pointer}: cannot read ({err.strerror})"
    name = raw.decode("utf-8", errors="replace").strip()
    if not _NAME.match(name):
        return f"{pointer}: does not name a checkpoint ({name[:40]!r})"
    if not (folder / name).is_file():
        return f"{pointer} names {name}, which is missing"
    return None


def checkpoint_candidates(run_dir: Path) -> tuple[list[Path], list[str]]:
    """The run's checkpoints, newest first, and a warning about the `latest` pointer if it is unusable."""
    folder = Path(run_dir) / CHECKPOINT_DIR
    if not folder.is_dir():
        return [], []
    warning = _pointer_warning(folder)
    found = sorted((p for p in folder.iterdir() if _NAME.match(p.name)), key=_step_of, reverse=True)
    return found, [warning] if warning else []


@dataclass(frozen=True)
class FoundCheckpoint:
    path: Path
    state: dict[str, Any]
    skipped: tuple[str, ...]  # why each better candidate was not used


def find_resume_checkpoint(run_dir: Path, map_location: str | torch.device | None = "cpu"
                           ) -> FoundCheckpoint | None:
    """The newest checkpoint of `run_dir` that verifies and loads, falling back past damaged ones.

    None when the run has no checkpoint file at all; CheckpointError (listing every reason) when it
    has some but none is usable. Each skipped candidate is logged as a warning. `map_location=None`
    only verifies checksums (no loading; `state` is then empty).
    """
    candidates, skipped = checkpoint_candidates(Path(run_dir))
    for message in skipped:
        log.warning("%s", message)
    for path in candidates:
        try:
            verify_checkpoint(path)
            state = {} if map_location is None else load_checkpoint(path, map_location)
        except CheckpointError as err:
            skipped.append(str(err))
            log.warning("%s; trying the previous checkpoint", err)
            continue
        if skipped:
            log.warning("falling back to %s", path)
        return FoundCheckpoint(path, state, tuple(skipped))
    if not candidates:
        return None
    raise CheckpointError(f"{run_dir}: no usable checkpoint ({'; '.join(skipped)}); use --force to start "
                          "over")


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The newest checkpoint of the run whose checksum verifies (see `find_resume_checkpoint`), or None."""
    found = find_resume_checkpoint(run_dir, map_location=None)
    return None if found is None else found.path


def has_checkpoint_files(run_dir: Path) -> bool:
    folder = Path(run_dir) / CHECKPOINT_DIR
    return folder.is_dir() and any(_NAME.match(p.name) for p in folder.iterdir())


def load_checkpoint(path: Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint file safely (`weights_only=True`); CheckpointError if damaged or foreign.

    This does not check the checksum (`verify_checkpoint` does); a checkpoint copied without its
    `.sha256` file still loads here.
    """
    try:
        state = torch.load(Path(path), map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such checkpoint") from None
    # torch raises RuntimeError / UnpicklingError / EOFError on damage
    except Exception as err:  # noqa: BLE001
        first = str(err).strip().splitlines()[0] if str(err).strip() else ""
        if "weights_only" in first or "Weights only" in first:
            first = "holds objects other than tensors and plain containers"
        detail = f"{type(err).__name__}: {first[:200]}"
        raise CheckpointError(f"{path}: cannot read checkpoint ({detail})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a panoconv training checkpoint")
    return state


def resolve_checkpoint(path: Path) -> Path:
    """A run folder -> its newest verified checkpoint; a checkpoint file -> itself (verified if summed)."""
    path = Path(path)
    if path.is_dir():
        found = latest_checkpoint(path)
        if found is None:
            raise CheckpointError(f"{path}: run folder has no checkpoint yet")
        return found
    if not path.is_file():
        raise CheckpointError(f"{path}: no such run folder or checkpoint")
    if checksum_path(path).exists():
        verify_checkpoint(path)
    return path
