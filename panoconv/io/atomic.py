"""Write outputs so that an interrupted run never leaves a half-written file behind.

Everything is written to a temporary sibling, fsynced, and renamed into place (`os.replace` is atomic on
POSIX within one file system); the folder is fsynced after the rename so the new name survives a power cut.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import IO, Iterator

from panoconv.errors import OutputExistsError


def check_can_write(path: Path, force: bool) -> None:
    """Refuse to overwrite an existing output unless `force`."""
    if path.exists() and not force:
        raise OutputExistsError(f"{path}: already exists (use --force to overwrite)")


def fsync_file(path: Path) -> None:
    """Flush a written file's data to the disk (a rename alone may reach the disk before the data)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Make renames and deletions inside folder `path` durable (no-op where folders cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse fsync on folders
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path` for writers that want a file name (np.save, torch.save...)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix or ".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)
        fsync_file(Path(tmp))
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_file(path: Path, mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file beside `path`; on success it replaces `path`, on error it is removed."""
    with atomic_path(path) as tmp, open(tmp, mode) as f:
        yield f
        f.flush()
        os.fsync(f.fileno())


@contextlib.contextmanager
def atomic_dir(path: Path, force: bool = False) -> Iterator[Path]:
    """Build a whole output folder in a temporary sibling and move it into place at the end.

    With `force`, an existing folder at `path` is replaced only once the new one is complete.
    """
    path = Path(path)
    check_can_write(path, force)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    try:
        yield tmp
        os.chmod(tmp, 0o755)
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(path, old) if path.is_dir() else os.unlink(path)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def safe_child(root: Path, name: str) -> Path:
    """`root / name`, refusing names that could escape `root` (absolute, `..`, separators, NUL)."""
    if not name or name in {".", ".."} or "/" in name or "\\" in name or "\x00" in name or name.startswith(".."):
        raise ValueError(f"unsafe output file name {name!r}")
    child = (root / name).resolve()
    if child.parent != Path(root).resolve():
        raise ValueError(f"output file name {name!r} escapes {root}")
    return child
