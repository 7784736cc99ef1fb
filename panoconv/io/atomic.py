"""Write outputs so that an interrupted run never leaves a half-written file behind.

Everything is written to a temporary sibling, fsynced, and renamed into place (`os.replace` is atomic on
POSIX within one file system); the folder is fsynced after the rename so the new name survives a power cut.

Temporary siblings are hidden and carry the writing process's id (`.model.~4242~k2j3x9a1.safetensors`):
the first write into a folder sweeps the ones whose process is gone (a run killed with -9 cannot clean
up after itself), and never touches those of a live run. The OS refusing an output (disk full,
read-only, name too long, a file where a folder should be) is one `OutputError` line naming it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from panoconv.errors import OutputExistsError
from panoconv.io.oserrors import failure_reason, output_error, translated

log = logging.getLogger(__name__)

_STEM_CHARS = 64  # temporary names stay short enough for any final name the file system allows
_TEMP = re.compile(r"^\..+\.~(\d+)~[a-z0-9_]{8}[^/]*$")  # mkstemp adds 8 of [a-z0-9_]
_swept: set[str] = set()


def check_can_write(path: Path, force: bool) -> None:
    """Refuse to overwrite an existing output unless `force`."""
    with translated(Path(path)):
        exists = Path(path).exists()
    if exists and not force:
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


def temp_prefix(name: str) -> str:
    """The hidden prefix of this process's temporary siblings of `name` (`.name.~PID~`)."""
    return f".{name[:_STEM_CHARS]}.~{os.getpid()}~"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def sweep_stale(folder: Path) -> list[Path]:
    """Delete the temporary siblings that killed runs left in `folder` (their process is gone); return
    them."""
    folder = Path(folder)
    stale = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    for entry in entries:
        match = _TEMP.match(entry.name)
        if match is None or _alive(int(match[1])):
            continue
        path = folder / entry.name
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        stale.append(path)
    if stale:
        log.info("%s: removed %d temporary file(s) left by an interrupted run", folder, len(stale))
    return stale


def _prepare(path: Path) -> None:
    """Create `path`'s folder and, once per process and folder, sweep what killed runs left there."""
    with translated(path):
        path.parent.mkdir(parents=True, exist_ok=True)
    key = os.path.abspath(path.parent)
    if key not in _swept:
        _swept.add(key)
        sweep_stale(path.parent)


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path` for writers that want a file name (np.save, torch.save...)."""
    path = Path(path)
    _prepare(path)
    with translated(path, path.parent):  # what mkstemp fails on is a name inside the folder
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=temp_prefix(path.stem),
                                    suffix=path.suffix or ".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        fsync_file(tmp)
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except BaseException as err:
        reason = failure_reason(path, err, tmp)  # before the temporary file goes: its size is a clue
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if reason is not None:
            raise output_error(path, reason) from None
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
    _prepare(path)
    with translated(path, path.parent):
        tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=temp_prefix(path.name), suffix=".tmp"))
    try:
        yield tmp
        os.chmod(tmp, 0o755)
        _fsync_tree(tmp)
        if path.exists():
            _replace_existing(tmp, path)
        else:
            os.replace(tmp, path)
        fsync_dir(path.parent)
    except BaseException as err:
        reason = failure_reason(path, err, None)
        shutil.rmtree(tmp, ignore_errors=True)
        if reason is not None:
            raise output_error(path, reason) from None
        raise


def _replace_existing(tmp: Path, path: Path) -> None:
    """Put folder `tmp` at `path` and delete what was there: one atomic swap where the kernel offers it."""
    if path.is_dir() and _exchange(tmp, path):
        shutil.rmtree(tmp, ignore_errors=True)  # now holds the old folder
        return
    old = Path(tempfile.mkdtemp(dir=path.parent, prefix=temp_prefix(path.name), suffix=".old"))
    os.replace(path, old / path.name)  # a kill here leaves no folder at `path`; the rerun rebuilds it
    os.replace(tmp, path)
    shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def _fsync_tree(root: Path) -> None:
    """fsync every file and folder under `root` (before the rename that makes them visible)."""
    for folder, _, files in os.walk(root):
        for name in files:
            fsync_file(Path(folder) / name)
        fsync_dir(Path(folder))


def safe_child(root: Path, name: str) -> Path:
    """`root / name`, refusing names that could escape `root` (absolute, `..`, separators, NUL)."""
    if not name or name in {".",
                            ".."} or "/" in name or "\\" in name or "\x00" in name or name.startswith(".."):
        raise ValueError(f"unsafe output file name {name!r}")
    child = (root / name).resolve()
    if child.parent != Path(root).resolve():
        raise ValueError(f"output file name {name!r} escapes {root}")
    return child
