"""Path checks the CLI runs before anything heavy is imported (no torch, no TensorFlow here).

A usage mistake (a missing file, a folder where a file belongs) must fail in well under a second with a
message that says the fix, not after seconds of importing frameworks.
"""

from __future__ import annotations

import logging
from pathlib import Path

from panoconv.errors import CheckpointError, PanoconvError

log = logging.getLogger(__name__)
WEIGHT_SUFFIXES = (".safetensors", ".pt", ".pth")


def weights_file(path: Path | str, option: str = "--weights") -> Path:
    """`path` itself, or the one weights file in the folder `path` (e.g. a training run's folder).

    Raises a one-line `CheckpointError` for a missing path, an empty folder or a folder with several
    weights files (listing them)."""
    path = Path(path)
    if path.is_file():
        return path
    if not path.exists():
        raise CheckpointError(f"{path}: no such weights file")
    if not path.is_dir():
        raise CheckpointError(f"{path}: not a regular file")
    found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in WEIGHT_SUFFIXES
                   and not p.name.startswith("."))
    if len(found) == 1:
        log.info("%s: using %s", path, found[0].name)
        return found[0]
    if not found:
        runs = [path / name for name in ("snapshots", "checkpoints") if (path / name).is_dir()]
        hint = (" (a training run writes model.safetensors when it finishes; its snapshots are in "
                f"{runs[0]})" if runs else "")
        raise CheckpointError(f"{path}: is a folder without a .safetensors / .pt weights file{hint}; give "
                            f"{option} FILE")
    names = ", ".join(p.name for p in found[:5]) + (", ..." if len(found) > 5 else "")
    raise CheckpointError(f"{path}: is a folder with {len(found)} weights files ({names}); give one, e.g. "
                        f"{option} {found[0]}")


def existing_file(path: Path | str, what: str = "file") -> Path:
    """`path` if it is a file; otherwise one line saying whether it is missing or a folder."""
    path = Path(path)
    if path.is_file():
        return path
    if path.is_dir():
        raise PanoconvError(f"{path}: is a folder, expected a {what}")
    if not path.exists():
        raise PanoconvError(f"{path}: no such {what}")
    raise PanoconvError(f"{path}: not a regular file")


def existing_path(path: Path | str, what: str = "file or folder") -> Path:
    path = Path(path)
    if not path.exists():
        raise PanoconvError(f"{path}: no such {what}")
    return path
