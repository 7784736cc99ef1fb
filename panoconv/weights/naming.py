"""TF variable name <-> store file name, refusing any name that could land outside the store.

Names come from the checkpoint, i.e. from whoever made it: they are untrusted. A store file name is
the earlier port's convention (`model/encoder/Conv/weights` -> `model.encoder.Conv.weights:0.npy`),
accepted only if it is one plain file name inside the output folder, and only if no two tensors
map to the same file (also on case-insensitive file systems).
"""

from __future__ import annotations

from pathlib import Path

from panoconv.errors import CheckpointError
from panoconv.io.atomic import safe_child

SUFFIX = ":0.npy"
MAX_NAME_BYTES = 255


class UnsafeNameError(CheckpointError):
    """A tensor name cannot be stored safely as a file or HDF5 path."""


def check_tf_name(name: str) -> None:
    """Refuse control characters, backslashes and empty, `.` or `..` path components."""
    if not name:
        raise UnsafeNameError("empty tensor name")
    bad = [c for c in name if ord(c) < 0x20 or c in "\\\x7f"]
    if bad:
        raise UnsafeNameError(f"tensor name {name!r} contains {bad[0]!r}")
    parts = name.split("/")
    if any(part in {"", ".", ".."} for part in parts):
        raise UnsafeNameError(f"tensor name {name!r} has an empty, '.' or '..' path component")


def file_name(name: str) -> str:
    """The `.npy` file name of a TF name, checked to be a single safe, visible file name."""
    check_tf_name(name)
    fname = name.replace("/", ".") + SUFFIX
    if fname.startswith(".") or ":" in name:
        raise UnsafeNameError(f"tensor name {name!r} would make the file name {fname!r}")
    if len(fname.encode("utf-8")) > MAX_NAME_BYTES:
        raise UnsafeNameError(f"tensor name {name[:60]!r}... is too long for a file name")
    return fname


def tf_name_from_file(fname: str) -> str:
    """Inverse of the earlier port's naming: strip `:0.npy` (or `.npy`) and map `.` -> `/`."""
    stem = fname[: -len(SUFFIX)] if fname.endswith(SUFFIX) else fname.removesuffix(".npy")
    return stem.replace(".", "/")


def file_names(names: list[str]) -> dict[str, str]:
    """TF name -> file name for all tensors; refuse unsafe names and collisions."""
    out: dict[str, str] = {}
    seen: dict[str, str] = {}
    for name in names:
        fname = file_name(name)
        key = fname.casefold()
        if key in seen:
            raise UnsafeNameError(f"tensor names {seen[key]!r} and {name!r} both map to file {fname!r}")
        seen[key] = name
        out[name] = fname
    return out


def child(root: Path, fname: str) -> Path:
    """`root / fname` through `io.atomic.safe_child` (a last check that nothing escapes `root`)."""
    try:
        return safe_child(root, fname)
    except ValueError as err:
        raise UnsafeNameError(str(err)) from None
