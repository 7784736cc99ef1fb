"""Turn whatever path the user gives into one checkpoint: a tensor-bundle prefix or an HDF5 file.

Accepted: a TF1/TF2 prefix (`model-180000`, `ckpt-1`), any of its files (`.index`, `.meta`,
`.data-*`), a folder with a `checkpoint` state file (its `model_checkpoint_path`, the latest), a
folder with exactly one checkpoint, and Keras HDF5 weights (`.h5`, `.weights.h5`, `.hdf5`).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from panoconv.errors import CheckpointError

_BUNDLE_SUFFIX = re.compile(r"\.(index|meta|data-\d{5}-of-\d{5})$")
_STATE_LINE = re.compile(r'^model_checkpoint_path:\s*"((?:[^"\\]|\\.)*)"\s*$', re.MULTILINE)
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_H5_SUFFIXES = (".h5", ".hdf5")


@dataclass(frozen=True)
class Located:
    kind: Literal["bundle", "h5"]
    path: Path


def _is_hdf5(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(8) == _HDF5_MAGIC
    except OSError:
        return False


def _bundle(prefix: Path, given: Path) -> Located:
    index = Path(f"{prefix}.index")
    if not index.exists():
        raise CheckpointError(f"{index}: checkpoint index is missing (given {given})")
    return Located("bundle", prefix)


def _from_state_file(folder: Path) -> Located:
    state = folder / "checkpoint"
    try:
        text = state.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise CheckpointError(f"{state}: cannot read checkpoint state file ({err})") from None
    match = _STATE_LINE.search(text)
    if not match:
        raise CheckpointError(f"{state}: no model_checkpoint_path line")
    try:  # text-format protobuf: C escapes (octal for non-ASCII bytes) of the UTF-8 path, or raw UTF-8
        target = Path(codecs.escape_decode(match.group(1).encode("utf-8"))[0].decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise CheckpointError(f"{state}: unreadable model_checkpoint_path ({err})") from None
    if not target.is_absolute():
        target = folder / target
    elif not Path(f"{target}.index").exists():
        target = folder / target.name  # the folder was moved since it was written
    return _bundle(target, state)


def _from_folder(folder: Path) -> Located:
    if (folder / "checkpoint").is_file():
        return _from_state_file(folder)
    prefixes = sorted({str(p)[: -len(".index")] for p in folder.glob("*.index")})
    h5s = sorted(p for p in folder.iterdir() if p.suffix in _H5_SUFFIXES)
    candidates = [*prefixes, *map(str, h5s)]
    if len(candidates) != 1:
        what = "no checkpoint" if not candidates else f"{len(candidates)} checkpoints"
        raise CheckpointError(f"{folder}: {what} in this folder and no `checkpoint` state file; "
                              "name the checkpoint prefix")
    return locate(Path(candidates[0]))


def locate(path: Path) -> Located:
    """Resolve `path`; raise `CheckpointError` naming the path if nothing readable is there."""
    path = Path(path).expanduser()
    if path.is_dir():
        return _from_folder(path)
    if Path(f"{path}.index").exists():  # a FIFO or folder here is refused by the reader, in one line
        return Located("bundle", path)
    if path.suffix in _H5_SUFFIXES or (path.is_file() and _is_hdf5(path)):
        if not path.is_file():
            raise CheckpointError(f"{path}: {'not a regular file' if path.exists() else 'no such file'}")
        if not _is_hdf5(path):
            raise CheckpointError(f"{path}: not an HDF5 file")
        return Located("h5", path)
    match = _BUNDLE_SUFFIX.search(path.name)
    if match:
        return _bundle(path.with_name(path.name[: match.start()]), path)
    if not path.exists():
        raise CheckpointError(f"{path}: no such checkpoint (expected a prefix with .index/.data files, "
                              "a checkpoint folder or a .h5 file)")
    raise CheckpointError(f"{path}: not a TensorFlow checkpoint or Keras .h5 file")


def step_from_name(path: Path | str) -> int | None:
    """The global step in a checkpoint's name (`model-180000`, `model-180000.index`, `ckpt-7.data-...`):
    upstream training names its files `model-<step>`, while a checkpoint may hold no step variable."""
    name = Path(path).name
    name = re.sub(r"\.(index|meta|data-\d+-of-\d+|h5|hdf5)$", "", name)
    match = re.search(r"-(\d+)$", name)
    return int(match.group(1)) if match else None
