"""Training checkpoints: everything needed to continue a run exactly, written so a crash never loses one.

Layout inside the run folder:

    checkpoints/step_00010000.pt    torch.save of tensors and plain containers only
    checkpoints/latest              the file name of the newest complete checkpoint (written last)

Writing: the new checkpoint goes to a temporary sibling and is renamed into place (`atomic_path`);
only then is `latest` replaced (atomically too), and only after that are checkpoints beyond `keep`
deleted. A kill at any moment therefore leaves `latest` naming a complete file. Temporary files start
with "." and are ignored (and swept on the next save).

Reading: `torch.load(..., weights_only=True)`, no unpickling fallback. RNG states are converted to
tensors / lists so the safe loader accepts them (numpy's state tuple holds an ndarray).
"""

from __future__ import annotations

import logging
import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

from panoconv.errors import CheckpointError
from panoconv.io.atomic import atomic_file, atomic_path

log = logging.getLogger(__name__)

FORMAT = "panoconv-train-checkpoint/1"
CHECKPOINT_DIR = "checkpoints"
LATEST = "latest"
_NAME = re.compile(r"^step_(\d+)\.pt$")


def checkpoint_name(step: int) -> str:
    return f"step_{step:08d}.pt"


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


# --- save / load ---------------------------------------------------------------------------------
def save_checkpoint(run_dir: Path, state: dict[str, Any], keep: int = 2) -> Path:
    """Write `state` (must hold "step") as the newest checkpoint; keep the `keep` newest complete ones."""
    folder = Path(run_dir) / CHECKPOINT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / checkpoint_name(int(state["step"]))
    with atomic_path(path) as tmp:
        torch.save({"format": FORMAT, **state}, tmp)
    with atomic_file(folder / LATEST, "w") as f:
        f.write(path.name + "\n")
    _prune(folder, keep, newest=path.name)
    return path


def _prune(folder: Path, keep: int, newest: str) -> None:
    """Delete complete checkpoints beyond the `keep` newest, and stale temporary files."""
    done = sorted((p for p in folder.iterdir() if _NAME.match(p.name)),
                  key=lambda p: int(_NAME.match(p.name)[1]))
    for old in done[:-keep] if keep > 0 else []:
        if old.name != newest:
            old.unlink(missing_ok=True)
    for tmp in folder.glob(".step_*"):
        tmp.unlink(missing_ok=True)


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The checkpoint `latest` names, or None if the run has none yet."""
    folder = Path(run_dir) / CHECKPOINT_DIR
    pointer = folder / LATEST
    if not pointer.is_file():
        return None
    name = pointer.read_text().strip()
    if not _NAME.match(name):
        raise CheckpointError(f"{pointer}: does not name a checkpoint ({name!r})")
    path = folder / name
    if not path.is_file():
        raise CheckpointError(f"{pointer} names {name}, which is missing")
    return path


def load_checkpoint(path: Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint file safely (`weights_only=True`); CheckpointError if damaged or foreign."""
    try:
        state = torch.load(Path(path), map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such checkpoint") from None
    except Exception as err:  # torch raises RuntimeError / UnpicklingError / EOFError on damage
        raise CheckpointError(f"{path}: cannot read checkpoint ({type(err).__name__}: {err})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a panoconv training checkpoint")
    return state


def resolve_checkpoint(path: Path) -> Path:
    """A run folder -> its latest checkpoint; a checkpoint file -> itself."""
    path = Path(path)
    if path.is_dir():
        found = latest_checkpoint(path)
        if found is None:
            raise CheckpointError(f"{path}: run folder has no checkpoint yet")
        return found
    if not path.is_file():
        raise CheckpointError(f"{path}: no such run folder or checkpoint")
    return path
