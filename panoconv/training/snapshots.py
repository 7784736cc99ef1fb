"""Training snapshots: everything needed to continue a run exactly, written so a crash never loses one.

Layout inside the run folder:

    snapshots/step_00010000.pt          torch.save of tensors and plain containers only
    snapshots/step_00010000.pt.sha256   its SHA-256 (`sha256sum -c` format), written before it appears
    snapshots/latest                    the file name of the newest complete snapshot (written last)

Why a checksum: `torch.load` does not verify the zip CRCs, so a flipped bit in a tensor loads silently.

Writing (`save_snapshot`): the state goes to a hidden temporary sibling, is fsynced and hashed; the
checksum file is written (atomically), then the snapshot is renamed into place, then `latest` is
replaced, and only then are snapshots beyond `keep` deleted. A kill at any moment leaves every
visible `step_*.pt` complete and checksummed, and at least the previous snapshot intact.

Reading (`find_resume_snapshot`): the newest `step_*.pt` whose checksum matches and which loads
(`weights_only=True`, no unpickling fallback) is used. Every newer one skipped is a warning that says
why (empty, truncated, checksum mismatch, no checksum), as is a `latest` pointer that is garbage or
names a missing file, so a damaged latest snapshot falls back to the previous good one instead of
failing or, worse, loading silently. `latest` is for people and tools; resume does not prefer it over a
newer complete snapshot (a kill between the rename and the pointer update leaves exactly that), since
resuming from an older one would trim the log of steps that the newer snapshot still holds.

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

from panoconv.errors import SnapshotError
from panoconv.io.atomic import atomic_file, atomic_path, fsync_dir

log = logging.getLogger(__name__)

FORMAT = "panoconv-train-snapshot/1"
SNAPSHOT_DIR = "snapshots"
#: what runs written before the rename to "snapshot" hold; read (and continued in place) as before
LEGACY_FORMAT = "panoconv-train-checkpoint/1"
LEGACY_SNAPSHOT_DIR = "checkpoints"
LATEST = "latest"
CHECKSUM_SUFFIX = ".sha256"
_NAME = re.compile(r"^step_(\d+)\.pt$")
#: temporary files `atomic_path` leaves behind when killed mid-write (".step_00000010.pt.k3j2.pt" etc.)
_TEMP = re.compile(r"^\.(step_\d+\.pt|step_\d+|latest)\..+$")


def snapshot_dir(run_dir: Path) -> Path:
    """`RUN/snapshots`, or the `RUN/checkpoints` folder of a run written before the rename (if that is
    the one there), so an older run resumes and keeps its snapshots in one place."""
    run_dir = Path(run_dir)
    legacy = run_dir / LEGACY_SNAPSHOT_DIR
    if legacy.is_dir() and not (run_dir / SNAPSHOT_DIR).exists():
        return legacy
    return run_dir / SNAPSHOT_DIR


def snapshot_name(step: int) -> str:
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
    """The SHA-256 recorded for snapshot `path`; SnapshotError if absent or malformed."""
    sums = checksum_path(path)
    try:
        text = sums.read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        raise SnapshotError(f"{path}: no checksum file {sums.name} (incomplete write, or not written by "
                              "this version of panoconv)") from None
    except OSError as err:
        raise SnapshotError(f"{sums}: cannot read checksum ({err.strerror})") from None
    fields = text.split()
    if len(fields) != 2 or fields[1] != path.name or not re.fullmatch(r"[0-9a-f]{64}", fields[0]):
        raise SnapshotError(f"{sums}: not a checksum line for {path.name}")
    return fields[0]


def verify_snapshot(path: Path) -> None:
    """Raise SnapshotError unless `path` exists, is non-empty and matches its recorded SHA-256."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise SnapshotError(f"{path}: missing") from None
    if size == 0:
        raise SnapshotError(f"{path}: empty file")
    expected = _read_checksum(path)
    actual = file_sha256(path)
    if actual != expected:
        raise SnapshotError(f"{path}: checksum mismatch ({size} bytes; SHA-256 {actual[:12]}..., recorded "
                              f"{expected[:12]}...): the file is damaged")


# --- save ----------------------------------------------------------------------------------------
def save_snapshot(run_dir: Path, state: dict[str, Any], keep: int = 2) -> Path:
    """Write `state` (must hold "step") as the newest snapshot; keep the `keep` newest complete ones."""
    folder = snapshot_dir(run_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / snapshot_name(int(state["step"]))
    with atomic_path(path) as tmp:
        torch.save({"format": FORMAT, **state}, tmp)
        digest = file_sha256(tmp)
        with atomic_file(checksum_path(path), "w") as f:  # before the snapshot is visible
            f.write(f"{digest}  {path.name}\n")
    with atomic_file(folder / LATEST, "w") as f:
        f.write(path.name + "\n")
    _prune(folder, keep, newest=path)
    return path


def _prune(folder: Path, keep: int, newest: Path) -> None:
    """Delete complete snapshots beyond the `keep` newest (with their checksums) and orphan checksums."""
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
    """Delete temporary snapshot files a killed run left in `run_dir/snapshots`; return them.

    Only call while no other process writes this run folder (the trainer holds the run lock).
    """
    folder = snapshot_dir(run_dir)
    if not folder.is_dir():
        return []
    stale = [p for p in folder.iterdir() if _TEMP.match(p.name) and p.is_file()]
    for p in stale:
        p.unlink(missing_ok=True)
    return stale


# --- find / load ---------------------------------------------------------------------------------
def _pointer_warning(folder: Path) -> str | None:
    """A warning when `latest` exists but does not name an existing snapshot."""
    pointer = folder / LATEST
    try:
        raw = pointer.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as err:
        return f"{pointer}: cannot read ({err.strerror})"
    name = raw.decode("utf-8", errors="replace").strip()
    if not _NAME.match(name):
        return f"{pointer}: does not name a snapshot ({name[:40]!r})"
    if not (folder / name).is_file():
        return f"{pointer} names {name}, which is missing"
    return None


def snapshot_candidates(run_dir: Path) -> tuple[list[Path], list[str]]:
    """The run's snapshots, newest first, and a warning about the `latest` pointer if it is unusable."""
    folder = snapshot_dir(run_dir)
    if not folder.is_dir():
        return [], []
    warning = _pointer_warning(folder)
    found = sorted((p for p in folder.iterdir() if _NAME.match(p.name)), key=_step_of, reverse=True)
    return found, [warning] if warning else []


@dataclass(frozen=True)
class FoundSnapshot:
    path: Path
    state: dict[str, Any]
    skipped: tuple[str, ...]  # why each better candidate was not used


def find_resume_snapshot(run_dir: Path, map_location: str | torch.device | None = "cpu"
                           ) -> FoundSnapshot | None:
    """The newest snapshot of `run_dir` that verifies and loads, falling back past damaged ones.

    None when the run has no snapshot file at all; SnapshotError (listing every reason) when it
    has some but none is usable. Each skipped candidate is logged as a warning. `map_location=None`
    only verifies checksums (no loading; `state` is then empty).
    """
    candidates, skipped = snapshot_candidates(Path(run_dir))
    for message in skipped:
        log.warning("%s", message)
    for path in candidates:
        try:
            verify_snapshot(path)
            state = {} if map_location is None else load_snapshot(path, map_location)
        except SnapshotError as err:
            skipped.append(str(err))
            log.warning("%s; trying the previous snapshot", err)
            continue
        if skipped:
            log.warning("falling back to %s", path)
        return FoundSnapshot(path, state, tuple(skipped))
    if not candidates:
        return None
    raise SnapshotError(f"{run_dir}: no usable snapshot ({'; '.join(skipped)}); use --force to start "
                          "over")


def latest_snapshot(run_dir: Path) -> Path | None:
    """The newest snapshot of the run whose checksum verifies (see `find_resume_snapshot`), or None."""
    found = find_resume_snapshot(run_dir, map_location=None)
    return None if found is None else found.path


def has_snapshot_files(run_dir: Path) -> bool:
    folder = snapshot_dir(run_dir)
    return folder.is_dir() and any(_NAME.match(p.name) for p in folder.iterdir())


def load_snapshot(path: Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a snapshot file safely (`weights_only=True`); SnapshotError if damaged or foreign.

    This does not check the checksum (`verify_snapshot` does); a snapshot copied without its
    `.sha256` file still loads here.
    """
    try:
        state = torch.load(Path(path), map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise SnapshotError(f"{path}: no such snapshot") from None
    # torch raises RuntimeError / UnpicklingError / EOFError on damage
    except Exception as err:  # noqa: BLE001
        first = str(err).strip().splitlines()[0] if str(err).strip() else ""
        if "weights_only" in first or "Weights only" in first:
            first = "holds objects other than tensors and plain containers"
        detail = f"{type(err).__name__}: {first[:200]}"
        raise SnapshotError(f"{path}: cannot read snapshot ({detail})") from None
    if not isinstance(state, dict) or state.get("format") not in (FORMAT, LEGACY_FORMAT):
        raise SnapshotError(f"{path}: not a panoconv training snapshot")
    return state


def resolve_snapshot(path: Path) -> Path:
    """A run folder -> its newest verified snapshot; a snapshot file -> itself (verified if summed)."""
    path = Path(path)
    if path.is_dir():
        found = latest_snapshot(path)
        if found is None:
            raise SnapshotError(f"{path}: run folder has no snapshot yet")
        return found
    if not path.is_file():
        raise SnapshotError(f"{path}: no such run folder or snapshot")
    if checksum_path(path).exists():
        verify_snapshot(path)
    return path
